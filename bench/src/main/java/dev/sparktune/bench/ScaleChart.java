package dev.sparktune.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The ladder as a PNG: tokens/s against parameters, and bytes per rank against parameters, one line per variant of
 * ours and per PEFT mode. Axes are linear: XChart labels a logarithmic axis only at powers of ten, which leaves the
 * 0.6B-4B range and the rates unlabelled.
 */
final class ScaleChart {
    private final Map<String, List<Point>> tokensPerSecond = new LinkedHashMap<>();
    private final Map<String, List<Point>> bytesPerRank = new LinkedHashMap<>();

    /** A measured point: the model's size and the figure drawn. */
    private record Point(double billionParams, double value) {}

    /** One (parameters, value) point on the named line; values that were not measured are not drawn. */
    void addTokensPerSecond(String line, long params, double value) {
        add(tokensPerSecond, line, params, value);
    }

    /** As {@link #addTokensPerSecond}, in bytes (drawn in GB). */
    void addBytesPerRank(String line, long params, double bytes) {
        add(bytesPerRank, line, params, bytes / 1e9);
    }

    private static void add(Map<String, List<Point>> lines, String line, long params, double value) {
        if (Double.isFinite(value) && value > 0) {
            lines.computeIfAbsent(line, k -> new ArrayList<>()).add(new Point(params / 1e9, value));
        }
    }

    void write(Path png, String title) throws IOException {
        XYChart speed = chart(title + ": tokens/s", "tokens/s (all ranks)", tokensPerSecond);
        XYChart memory = chart(title + ": bytes per rank", "GB per rank (PEFT: its one process)", bytesPerRank);
        BitmapEncoder.saveBitmap(List.of(speed, memory), 1, 2, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static XYChart chart(String title, String yTitle, Map<String, List<Point>> lines) {
        XYChart chart = new XYChartBuilder()
                .width(800)
                .height(700)
                .title(title)
                .xAxisTitle("parameters (billions)")
                .yAxisTitle(yTitle)
                .build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setXAxisMin(0.0);
        chart.getStyler().setYAxisMin(0.0);
        for (Map.Entry<String, List<Point>> line : lines.entrySet()) {
            List<Point> points = line.getValue().stream()
                    .sorted(Comparator.comparingDouble(Point::billionParams))
                    .toList();
            double[] x = points.stream().mapToDouble(Point::billionParams).toArray();
            double[] y = points.stream().mapToDouble(Point::value).toArray();
            chart.addSeries(line.getKey(), x, y).setMarker(SeriesMarkers.CIRCLE);
        }
        if (lines.isEmpty()) {
            // XChart cannot draw an empty chart; a failed ladder still gets its PNG, with this line saying so
            chart.addSeries("nothing measured", new double[] {0}, new double[] {0});
        }
        return chart;
    }
}
