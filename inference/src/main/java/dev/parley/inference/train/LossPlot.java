package dev.parley.inference.train;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/** A plain PNG line chart of training (blue) and validation (red) loss against the step. */
final class LossPlot {
    private LossPlot() {}

    static void write(List<double[]> train, List<double[]> val, String title, Path png) {
        System.setProperty("java.awt.headless", "true");
        int w = 800, h = 500, left = 60, right = 20, top = 40, bottom = 50;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        double maxStep = 1, lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        for (List<double[]> c : List.of(train, val))
            for (double[] p : c) { maxStep = Math.max(maxStep, p[0]); lo = Math.min(lo, p[1]); hi = Math.max(hi, p[1]); }
        if (lo > hi) { lo = 0; hi = 1; }
        if (hi - lo < 1e-6) hi = lo + 1;
        double x0 = left, y0 = top, pw = w - left - right, ph = h - top - bottom;
        g.setColor(Color.LIGHT_GRAY);
        for (int i = 0; i <= 5; i++) {
            int y = (int) (y0 + ph * i / 5);
            g.drawLine(left, y, w - right, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format("%.2f", hi - (hi - lo) * i / 5), 5, y + 4);
            g.drawString(String.format("%d", Math.round(maxStep * i / 5)), (int) (x0 + pw * i / 5) - 10, h - bottom + 18);
            g.setColor(Color.LIGHT_GRAY);
        }
        g.setColor(Color.BLACK);
        g.drawString(title, left, 25);
        g.drawString("step", w / 2, h - 10);
        g.setStroke(new BasicStroke(1.5f));
        Color[] colors = {new Color(40, 90, 200), new Color(210, 40, 40)};
        String[] names = {"train", "validation"};
        List<List<double[]>> curves = List.of(train, val);
        for (int ci = 0; ci < 2; ci++) {
            g.setColor(colors[ci]);
            g.drawString(names[ci], w - right - 90, top + 20 + 16 * ci);
            double[] prev = null;
            for (double[] p : curves.get(ci)) {
                double[] pt = {x0 + pw * p[0] / maxStep, y0 + ph * (hi - p[1]) / (hi - lo)};
                if (prev != null) g.drawLine((int) prev[0], (int) prev[1], (int) pt[0], (int) pt[1]);
                else g.fillOval((int) pt[0] - 2, (int) pt[1] - 2, 4, 4);
                prev = pt;
            }
        }
        g.dispose();
        try {
            ImageIO.write(img, "png", png.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
