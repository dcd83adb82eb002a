package dev.sparktune.trainer.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * training_loss.png: LLaMA-Factory's smoothing reproduced numerically, and a PNG that decodes at matplotlib's default
 * size with both curves drawn across the axes.
 */
class MetricPlotTest {
    /**
     * LLaMA-Factory's {@code smooth} (src/llamafactory/extras/ploting.py) as its definition reads: weight =
     * 1.8 * (1 / (1 + exp(-0.05 * n)) - 0.5); last = x[0]; each s = last * weight + (1 - weight) * x; last = s.
     */
    static double[] reference(double[] x) {
        double weight = 1.8 * (1 / (1 + Math.exp(-0.05 * x.length)) - 0.5);
        double[] s = new double[x.length];
        double last = x.length == 0 ? 0 : x[0];
        for (int i = 0; i < x.length; i++) {
            s[i] = last * weight + (1 - weight) * x[i];
            last = s[i];
        }
        return s;
    }

    @Test
    void smoothIsLlamaFactorysEma() {
        assertArrayEquals(new double[0], MetricPlot.smooth(new double[0]));
        assertArrayEquals(new double[] {2.5}, MetricPlot.smooth(new double[] {2.5}));
        // n = 2: weight = 1.8 * (sigmoid(0.1) - 0.5) = 0.0449625...; s1 = 0.0449625 * 1 + 0.9550375 * 3
        assertArrayEquals(new double[] {1, 2.910075}, MetricPlot.smooth(new double[] {1, 3}), 1e-6);
        for (int n : new int[] {3, 10, 100, 1000}) {
            double[] x = new double[n];
            for (int i = 0; i < n; i++) {
                x[i] = 3 * Math.exp(-i / 20.0) + 0.3 * Math.sin(i * 1.7);
            }
            double[] got = MetricPlot.smooth(x);
            double[] want = reference(x);
            for (int i = 0; i < n; i++) {
                assertEquals(want[i], got[i], 1e-12, "n = " + n + ", i = " + i);
            }
        }
        // a long curve is smoothed with a weight near 0.9: a jump moves the average by about a tenth
        double[] step = new double[1000];
        step[999] = 1;
        assertEquals(0.1, MetricPlot.smooth(step)[999], 1e-3);
    }

    static List<MetricPoint> noisyDecay(int n) {
        List<MetricPoint> points = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            points.add(new MetricPoint(i * 5, 1 + 2 * Math.exp(-i / 8.0) + 0.15 * Math.sin(i * 2.3)));
        }
        return points;
    }

    static boolean near(int rgb, Color c, int tolerance) {
        Color p = new Color(rgb);
        return Math.abs(p.getRed() - c.getRed())
                        + Math.abs(p.getGreen() - c.getGreen())
                        + Math.abs(p.getBlue() - c.getBlue())
                <= tolerance;
    }

    /** Columns of the axes (outside the legend's corner) that hold a pixel near {@code c}. */
    static int columnsWith(BufferedImage image, Color c, int tolerance) {
        int columns = 0;
        for (int x = MetricPlot.LEFT + 2; x < MetricPlot.RIGHT - 2; x++) {
            for (int y = MetricPlot.TOP + 2; y < MetricPlot.BOTTOM - 2; y++) {
                boolean legend = x > MetricPlot.RIGHT - 160 && y < MetricPlot.TOP + 70;
                if (!legend && near(image.getRGB(x, y), c, tolerance)) {
                    columns++;
                    break;
                }
            }
        }
        return columns;
    }

    @Test
    void writesAPngOfBothCurvesAtMatplotlibsDefaultSize(@TempDir Path dir) throws Exception {
        Path png = dir.resolve(MetricPlot.fileName("loss"));
        assertTrue(MetricPlot.write("loss", noisyDecay(40), "saves/qwen3-lora", png));
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(640, image.getWidth());
        assertEquals(480, image.getHeight());
        int inner = MetricPlot.RIGHT - MetricPlot.LEFT - 4;
        // the smoothed curve in #1f77b4 and the raw one in #1f77b4 at alpha 0.4 over white (#a5c9e1) span the axes
        // (x from step 5 to 200 with 5% margins: about 90% of the columns)
        Color rawOnWhite = new Color(0xa5, 0xc9, 0xe1);
        int smoothed = columnsWith(image, MetricPlot.CURVE, 24);
        int raw = columnsWith(image, rawOnWhite, 24);
        assertTrue(smoothed > 0.8 * inner, "columns holding the smoothed curve: " + smoothed + " of " + inner);
        assertTrue(raw > 0.5 * inner, "columns holding the raw curve: " + raw + " of " + inner);
        assertEquals(Color.WHITE.getRGB(), image.getRGB(2, 2), "white background");
        int dark = 0;
        for (int x = 0; x < 640; x++) {
            for (int y = 0; y < MetricPlot.TOP - 2; y++) {
                dark += near(image.getRGB(x, y), Color.BLACK, 200) ? 1 : 0;
            }
        }
        assertTrue(dark > 50, "a title above the axes, got " + dark + " dark pixels");
    }

    @Test
    void oneLoggedStepStillPlotsAndNoneWritesNothing(@TempDir Path dir) throws Exception {
        Path png = dir.resolve(MetricPlot.fileName("loss"));
        assertTrue(MetricPlot.write("loss", List.of(new MetricPoint(3, 2.0)), "out", png));
        assertTrue(columnsWith(ImageIO.read(png.toFile()), MetricPlot.CURVE, 24) > 0, "a dot");
        Path none = dir.resolve("none.png");
        assertFalse(MetricPlot.write("loss", List.of(), "out", none));
        assertFalse(Files.exists(none));
    }

    @Test
    void readsOneMetricOfATrainerLog(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("trainer_log.jsonl");
        Files.writeString(log, """
                {"current_steps": 2, "total_steps": 4, "loss": 2.5, "lr": 0.001, "rewards/accuracies": 0.5}
                {"current_steps": 4, "total_steps": 4, "loss": 1.25, "lr": 0.0005}
                """);
        assertEquals(List.of(new MetricPoint(2, 2.5), new MetricPoint(4, 1.25)), TrainerLog.points(log, "loss"));
        assertEquals(List.of(new MetricPoint(2, 0.5)), TrainerLog.points(log, "rewards/accuracies"));
        assertEquals(List.of(), TrainerLog.points(log, "rewards/margins"));
    }

    /** LLaMA-Factory's names (plot_loss: "training_{}.png".format(key.replace("/", "_"))) and its axis label. */
    @Test
    void aMetricsPlotIsNamedAndLabelledByItsKey(@TempDir Path dir) throws Exception {
        assertEquals("training_loss.png", MetricPlot.fileName("loss"));
        assertEquals("training_rewards_accuracies.png", MetricPlot.fileName("rewards/accuracies"));
        List<MetricPoint> points = noisyDecay(20);
        BufferedImage loss = MetricPlot.render("loss", points, "out");
        BufferedImage accuracy = MetricPlot.render("rewards/accuracies", points, "out");
        int differing = 0;
        for (int y = MetricPlot.TOP; y < MetricPlot.BOTTOM; y++) {
            for (int x = 0; x < MetricPlot.LEFT - 40; x++) {
                differing += loss.getRGB(x, y) != accuracy.getRGB(x, y) ? 1 : 0;
            }
        }
        assertTrue(differing > 20, "the y label is the key: " + differing + " pixels differ left of the ticks");
    }
}
