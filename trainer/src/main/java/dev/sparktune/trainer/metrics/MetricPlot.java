package dev.sparktune.trainer.metrics;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LLaMA-Factory's {@code plot_loss} picture of one logged metric, drawn with java.awt: {@code training_<key>.png}
 * (a '/' in the key as '_'), 640 x 480 (matplotlib's default 6.4 x 4.8 in at 100 dpi), the metric per step in
 * translucent blue ("original") under its EMA-smoothed curve ("smoothed"), titled "training &lt;key&gt; of
 * &lt;output_dir&gt;", the y axis labelled with the key. LLaMA-Factory plots loss for every stage and also
 * rewards/accuracies for dpo.
 */
public final class MetricPlot {
    static final int WIDTH = 640;
    static final int HEIGHT = 480;
    /** matplotlib's default first colour (C0), which LLaMA-Factory uses for both curves. */
    static final Color CURVE = new Color(0x1f77b4);
    /** The raw curve: CURVE at alpha 0.4. */
    static final Color RAW = new Color(0x1f, 0x77, 0xb4, 102);
    // the axes box at matplotlib's default subplot parameters (left .125, right .9, bottom .11, top .88)
    static final int LEFT = 80;
    static final int RIGHT = 576;
    static final int TOP = 58;
    static final int BOTTOM = 427;
    private static final Logger LOG = LoggerFactory.getLogger(MetricPlot.class);
    private static final double MARGIN = 0.05; // matplotlib's default axes margins
    private static final float LINE_WIDTH = 1.5f * 100 / 72; // 1.5 pt at 100 dpi
    private static final int TICK = 5;

    private MetricPlot() {}

    /**
     * LLaMA-Factory's {@code smooth}: an EMA whose weight grows with the number of points along a scaled sigmoid,
     * {@code w = 1.8 * (sigmoid(0.05 n) - 0.5)}, starting from the first value: {@code s[0] = x[0]},
     * {@code s[i] = w s[i-1] + (1 - w) x[i]}. Short curves are smoothed little, long ones up to w = 0.9.
     */
    public static double[] smooth(double[] values) {
        double[] smoothed = new double[values.length];
        if (values.length == 0) {
            return smoothed;
        }
        double weight = 1.8 * (1 / (1 + Math.exp(-0.05 * values.length)) - 0.5);
        double last = values[0];
        for (int i = 0; i < values.length; i++) {
            last = last * weight + (1 - weight) * values[i];
            smoothed[i] = last;
        }
        return smoothed;
    }

    /** The file LLaMA-Factory names the plot of {@code key}: training_loss.png, training_rewards_accuracies.png. */
    public static String fileName(String key) {
        return "training_" + key.replace('/', '_') + ".png";
    }

    /**
     * Writes the plot of {@code key}'s {@code points} to {@code png}. The plot is a convenience: when it cannot be
     * drawn (nothing logged, a JVM without fonts in a minimal container) this logs a warning and returns false rather
     * than fail a finished run.
     */
    public static boolean write(String key, List<MetricPoint> points, String outputDir, Path png) {
        if (points.isEmpty()) {
            LOG.warn("no {} logged: {} not written", key, png);
            return false;
        }
        try {
            if (!ImageIO.write(render(key, points, outputDir), "png", png.toFile())) {
                LOG.warn("no PNG writer in this JVM: {} not written", png);
                return false;
            }
            return true;
        } catch (IOException | RuntimeException | LinkageError e) {
            LOG.warn("cannot draw the {} plot {}: {}", key, png, e.toString());
            return false;
        }
    }

    /** The plot as an image (nothing written). */
    public static BufferedImage render(String key, List<MetricPoint> points, String outputDir) {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true"); // executors have no display
        }
        if (points.isEmpty()) {
            throw new IllegalArgumentException("no " + key + " points to plot for " + outputDir);
        }
        double[] steps = points.stream().mapToDouble(MetricPoint::step).toArray();
        double[] values = points.stream().mapToDouble(MetricPoint::value).toArray();
        double[] smoothed = smooth(values);
        Axis x = Axis.of(min(steps), max(steps));
        Axis y = Axis.of(Math.min(min(values), min(smoothed)), Math.max(max(values), max(smoothed)));

        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            Font ticks = new Font(Font.SANS_SERIF, Font.PLAIN, 14); // 10 pt at 100 dpi
            drawTicks(g, ticks, x, y);
            g.setStroke(new BasicStroke(LINE_WIDTH, BasicStroke.CAP_SQUARE, BasicStroke.JOIN_ROUND));
            g.setClip(LEFT, TOP, RIGHT - LEFT, BOTTOM - TOP);
            drawCurve(g, RAW, steps, values, x, y);
            drawCurve(g, CURVE, steps, smoothed, x, y);
            g.setClip(null);
            g.setStroke(new BasicStroke(1.1f));
            g.setColor(Color.BLACK);
            g.drawRect(LEFT, TOP, RIGHT - LEFT, BOTTOM - TOP);
            drawLegend(g, ticks);
            drawLabels(g, ticks, key, "training " + key + " of " + outputDir);
        } finally {
            g.dispose();
        }
        return image;
    }

    private static void drawCurve(Graphics2D g, Color color, double[] xs, double[] ys, Axis x, Axis y) {
        g.setColor(color);
        Path2D.Double path = new Path2D.Double();
        path.moveTo(x.toPixel(xs[0], LEFT, RIGHT), y.toPixel(ys[0], BOTTOM, TOP));
        for (int i = 1; i < xs.length; i++) {
            path.lineTo(x.toPixel(xs[i], LEFT, RIGHT), y.toPixel(ys[i], BOTTOM, TOP));
        }
        if (xs.length == 1) {
            path.lineTo(x.toPixel(xs[0], LEFT, RIGHT), y.toPixel(ys[0], BOTTOM, TOP)); // a dot, as a square cap
        }
        g.draw(path);
    }

    private static void drawTicks(Graphics2D g, Font font, Axis x, Axis y) {
        g.setFont(font);
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1.1f));
        FontMetrics fm = g.getFontMetrics();
        for (double v : x.ticks()) {
            int px = (int) Math.round(x.toPixel(v, LEFT, RIGHT));
            g.drawLine(px, BOTTOM, px, BOTTOM + TICK);
            String label = x.label(v);
            g.drawString(label, px - fm.stringWidth(label) / 2, BOTTOM + TICK + 3 + fm.getAscent());
        }
        for (double v : y.ticks()) {
            int py = (int) Math.round(y.toPixel(v, BOTTOM, TOP));
            g.drawLine(LEFT - TICK, py, LEFT, py);
            String label = y.label(v);
            g.drawString(label, LEFT - TICK - 3 - fm.stringWidth(label), py + fm.getAscent() / 2 - 1);
        }
    }

    private static void drawLegend(Graphics2D g, Font font) {
        g.setFont(font);
        FontMetrics fm = g.getFontMetrics();
        String[] labels = {"original", "smoothed"};
        Color[] colors = {RAW, CURVE};
        int sample = 28;
        int row = fm.getHeight() + 2;
        int w = 8 + sample + 8 + Math.max(fm.stringWidth(labels[0]), fm.stringWidth(labels[1])) + 8;
        int h = 6 + row * labels.length + 2;
        int x0 = RIGHT - 8 - w;
        int y0 = TOP + 8;
        g.setColor(new Color(255, 255, 255, 204));
        g.fillRoundRect(x0, y0, w, h, 6, 6);
        g.setColor(new Color(0xcc, 0xcc, 0xcc));
        g.setStroke(new BasicStroke(1f));
        g.drawRoundRect(x0, y0, w, h, 6, 6);
        g.setStroke(new BasicStroke(LINE_WIDTH));
        for (int i = 0; i < labels.length; i++) {
            int cy = y0 + 4 + row * i + row / 2;
            g.setColor(colors[i]);
            g.drawLine(x0 + 8, cy, x0 + 8 + sample, cy);
            g.setColor(Color.BLACK);
            g.drawString(labels[i], x0 + 8 + sample + 8, cy + fm.getAscent() / 2 - 1);
        }
    }

    private static void drawLabels(Graphics2D g, Font font, String yLabel, String title) {
        g.setColor(Color.BLACK);
        g.setFont(font);
        FontMetrics fm = g.getFontMetrics();
        g.drawString("step", (LEFT + RIGHT - fm.stringWidth("step")) / 2, HEIGHT - 14);
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2);
        g.drawString(yLabel, -(TOP + BOTTOM + fm.stringWidth(yLabel)) / 2, 22);
        g.setTransform(saved);
        // 12 pt like matplotlib's title, smaller for a long output_dir so it stays on the picture
        float size = 17;
        Font titleFont = font.deriveFont(size);
        while (size > 9 && g.getFontMetrics(titleFont).stringWidth(title) > WIDTH - 16) {
            size -= 1;
            titleFont = font.deriveFont(size);
        }
        g.setFont(titleFont);
        FontMetrics tm = g.getFontMetrics();
        g.drawString(title, Math.max(8, (LEFT + RIGHT - tm.stringWidth(title)) / 2), TOP - 10);
    }

    private static double min(double[] v) {
        double m = Double.POSITIVE_INFINITY;
        for (double d : v) {
            m = Math.min(m, d);
        }
        return m;
    }

    private static double max(double[] v) {
        double m = Double.NEGATIVE_INFINITY;
        for (double d : v) {
            m = Math.max(m, d);
        }
        return m;
    }

    /** A data range with matplotlib-like margins and "nice" ticks (1, 2, 2.5 or 5 times a power of ten). */
    private record Axis(double lo, double hi, double tick) {
        static Axis of(double min, double max) {
            if (!(max > min)) { // one point, or a flat curve: widen around it as matplotlib does
                double pad = min == 0 ? 1 : Math.abs(min) * 0.05;
                min -= pad;
                max += pad;
            }
            double span = max - min;
            return new Axis(min - MARGIN * span, max + MARGIN * span, niceStep(span / 6));
        }

        static double niceStep(double raw) {
            double pow = Math.pow(10, Math.floor(Math.log10(raw)));
            for (double m : new double[] {1, 2, 2.5, 5}) {
                if (m * pow >= raw) {
                    return m * pow;
                }
            }
            return 10 * pow;
        }

        double toPixel(double v, int fromPixel, int toPixel) {
            return fromPixel + (v - lo) / (hi - lo) * (toPixel - fromPixel);
        }

        double[] ticks() {
            long first = (long) Math.ceil(lo / tick - 1e-9);
            long last = (long) Math.floor(hi / tick + 1e-9);
            double[] t = new double[(int) Math.max(0, last - first + 1)];
            for (int i = 0; i < t.length; i++) {
                t[i] = (first + i) * tick;
            }
            return t;
        }

        String label(double v) {
            int decimals = Math.max(0, (int) Math.ceil(-Math.log10(tick) - 1e-9));
            double scaled = tick * Math.pow(10, decimals);
            if (Math.abs(scaled - Math.rint(scaled)) > 1e-6) {
                decimals++; // 2.5 x 10^k needs one more digit
            }
            return String.format(Locale.ROOT, "%." + decimals + "f", Math.abs(v) < tick / 2 ? 0.0 : v);
        }
    }
}
