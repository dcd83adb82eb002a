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
class LossPlotTest {
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
        assertArrayEquals(new double[0], LossPlot.smooth(new double[0]));
        assertArrayEquals(new double[] {2.5}, LossPlot.smooth(new double[] {2.5}));
        // n = 2: weight = 1.8 * (sigmoid(0.1) - 0.5) = 0.0449625...; s1 = 0.0449625 * 1 + 0.9550375 * 3
        assertArrayEquals(new double[] {1, 2.910075}, LossPlot.smooth(new double[] {1, 3}), 1e-6);
        for (int n : new int[] {3, 10, 100, 1000}) {
            double[] x = new double[n];
            for (int i = 0; i < n; i++) {
                x[i] = 3 * Math.exp(-i / 20.0) + 0.3 * Math.sin(i * 1.7);
            }
            double[] got = LossPlot.smooth(x);
            double[] want = reference(x);
            for (int i = 0; i < n; i++) {
                assertEquals(want[i], got[i], 1e-12, "n = " + n + ", i = " + i);
            }
        }
        // a long curve is smoothed with a weight near 0.9: a jump moves the average by about a tenth
        double[] step = new double[1000];
        step[999] = 1;
        assertEquals(0.1, LossPlot.smooth(step)[999], 1e-3);
    }

    static List<LossPoint> noisyDecay(int n) {
        List<LossPoint> points = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            points.add(new LossPoint(i * 5, 1 + 2 * Math.exp(-i / 8.0) + 0.15 * Math.sin(i * 2.3)));
        }
        return points;
    }

    static boolean near(int rgb, Color c, int tolerance) {
        Color p = new Color(rgb);
        return Math.abs(p.getRed() - c.getRed()) + Math.abs(p.getGreen() - c.getGreen())
                + Math.abs(p.getBlue() - c.getBlue()) <= tolerance;
    }

    /** Columns of the axes (outside the legend's corner) that hold a pixel near {@code c}. */
    static int columnsWith(BufferedImage image, Color c, int tolerance) {
        int columns = 0;
        for (int x = LossPlot.LEFT + 2; x < LossPlot.RIGHT - 2; x++) {
            for (int y = LossPlot.TOP + 2; y < LossPlot.BOTTOM - 2; y++) {
                boolean legend = x > LossPlot.RIGHT - 160 && y < LossPlot.TOP + 70;
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
        Path png = dir.resolve(LossPlot.FILE);
        assertTrue(LossPlot.write(noisyDecay(40), "saves/qwen3-lora", png));
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(640, image.getWidth());
        assertEquals(480, image.getHeight());
        int inner = LossPlot.RIGHT - LossPlot.LEFT - 4;
        // the smoothed curve in #1f77b4 and the raw one in #1f77b4 at alpha 0.4 over white (#a5c9e1) span the axes
        // (x from step 5 to 200 with 5% margins: about 90% of the columns)
        Color rawOnWhite = new Color(0xa5, 0xc9, 0xe1);
        int smoothed = columnsWith(image, LossPlot.CURVE, 24);
        int raw = columnsWith(image, rawOnWhite, 24);
        assertTrue(smoothed > 0.8 * inner, "columns holding the smoothed curve: " + smoothed + " of " + inner);
        assertTrue(raw > 0.5 * inner, "columns holding the raw curve: " + raw + " of " + inner);
        assertEquals(Color.WHITE.getRGB(), image.getRGB(2, 2), "white background");
        int dark = 0;
        for (int x = 0; x < 640; x++) {
            for (int y = 0; y < LossPlot.TOP - 2; y++) {
                dark += near(image.getRGB(x, y), Color.BLACK, 200) ? 1 : 0;
            }
        }
        assertTrue(dark > 50, "a title above the axes, got " + dark + " dark pixels");
    }

    @Test
    void oneLoggedStepStillPlotsAndNoneWritesNothing(@TempDir Path dir) throws Exception {
        Path png = dir.resolve(LossPlot.FILE);
        assertTrue(LossPlot.write(List.of(new LossPoint(3, 2.0)), "out", png));
        assertTrue(columnsWith(ImageIO.read(png.toFile()), LossPlot.CURVE, 24) > 0, "a dot");
        Path none = dir.resolve("none.png");
        assertFalse(LossPlot.write(List.of(), "out", none));
        assertFalse(Files.exists(none));
    }

    @Test
    void readsTheLossesOfATrainerLog(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("trainer_log.jsonl");
        Files.writeString(log, """
                {"current_steps": 2, "total_steps": 4, "loss": 2.5, "lr": 0.001}
                {"current_steps": 4, "total_steps": 4, "loss": 1.25, "lr": 0.0005}
                """);
        assertEquals(List.of(new LossPoint(2, 2.5), new LossPoint(4, 1.25)), TrainerLog.losses(log));
    }
}
