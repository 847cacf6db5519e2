package dev.parley.inference.train;

/**
 * Rotary position embedding as the engine applies it for arch {@code llama}: the pairs (x[2i], x[2i+1]) of every head
 * rotate by θ = pos·base^(−2i/hd). The angles are built by repeated float multiplication like the engine's, so the
 * exported model sees the same rotations.
 */
final class Rope {
    final float[] cos, sin;
    final int pairs;

    Rope(int context, int headDim, float base) {
        pairs = headDim / 2;
        cos = new float[context * pairs];
        sin = new float[context * pairs];
        float scale = (float) Math.pow(base, -2.0 / headDim);
        for (int p = 0; p < context; p++) {
            float theta = p;
            for (int i = 0; i < pairs; i++) {
                cos[p * pairs + i] = (float) Math.cos(theta);
                sin[p * pairs + i] = (float) Math.sin(theta);
                theta *= scale;
            }
        }
    }

    /** Rotates in place every head of n rows of width heads·hd; row t sits at position t % seqLen. */
    void forward(float[] x, int n, int seqLen, int heads) { rotate(x, n, seqLen, heads, 1f); }

    /** The rotation is orthogonal: its gradient is the inverse rotation of dy, in place. */
    void backward(float[] dx, int n, int seqLen, int heads) { rotate(dx, n, seqLen, heads, -1f); }

    private void rotate(float[] x, int n, int seqLen, int heads, float sign) {
        int hd = 2 * pairs;
        for (int t = 0; t < n; t++) {
            int p = t % seqLen;
            for (int h = 0; h < heads; h++) {
                int o = (t * heads + h) * hd;
                for (int i = 0; i < pairs; i++) {
                    float c = cos[p * pairs + i], s = sign * sin[p * pairs + i];
                    float x0 = x[o + 2 * i], x1 = x[o + 2 * i + 1];
                    x[o + 2 * i] = x0 * c - x1 * s;
                    x[o + 2 * i + 1] = x0 * s + x1 * c;
                }
            }
        }
    }
}
