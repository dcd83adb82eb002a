package dev.sparktune.dl4j.layers;

/**
 * Naive-loop oracles of every layer's forward, in double precision on plain row-major arrays: the second opinion
 * beside the PyTorch goldens, usable at any size and (with finite differences) for gradients.
 * Letters as in the layers: N rows, C/IN/OUT features, H heads, D head dim.
 */
final class NaiveOps {
    private NaiveOps() {}

    /** y[n][o] = Σ_i x[n][i]·w[o][i] + b[o]. */
    static double[] linear(double[] x, double[] w, double[] b, int n, int in, int out) {
        double[] y = new double[n * out];
        for (int r = 0; r < n; r++) {
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int i = 0; i < in; i++) {
                    s += x[r * in + i] * w[o * in + i];
                }
                y[r * out + o] = s;
            }
        }
        return y;
    }

    static double[] rmsNorm(double[] x, double[] w, double eps, int n, int c) {
        double[] y = new double[n * c];
        for (int r = 0; r < n; r++) {
            double ms = 0;
            for (int i = 0; i < c; i++) {
                ms += x[r * c + i] * x[r * c + i];
            }
            double inv = 1 / Math.sqrt(ms / c + eps);
            for (int i = 0; i < c; i++) {
                y[r * c + i] = w[i] * x[r * c + i] * inv;
            }
        }
        return y;
    }

    /** HF rotate-half RoPE on [N, H·D] with per-row positions and per-pair inverse frequencies. */
    static double[] rope(double[] x, int[] positions, float[] invFreq, int n, int heads, int d) {
        double[] y = new double[x.length];
        int half = d / 2;
        for (int r = 0; r < n; r++) {
            for (int h = 0; h < heads; h++) {
                int base = r * heads * d + h * d;
                for (int i = 0; i < half; i++) {
                    double a = (double) (invFreq[i] * (float) positions[r]);
                    double c = Math.cos(a);
                    double s = Math.sin(a);
                    y[base + i] = x[base + i] * c - x[base + i + half] * s;
                    y[base + i + half] = x[base + i + half] * c + x[base + i] * s;
                }
            }
        }
        return y;
    }

    static double[] swiGlu(double[] x, double[] wGate, double[] wUp, double[] wDown, int n, int c, int inter) {
        double[] g = linear(x, wGate, null, n, c, inter);
        double[] u = linear(x, wUp, null, n, c, inter);
        double[] a = new double[n * inter];
        for (int i = 0; i < a.length; i++) {
            a[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
        }
        return linear(a, wDown, null, n, inter, c);
    }

    /**
     * Core attention on rotated q [N, NH·D], k and v [N, KV·D] (N = B·T, token-major): per row b and head h, query
     * t sees key s iff both are in the same block of docLens (padding tail a block of its own), s ≤ t, and
     * t − s &lt; window when window &gt; 0. Returns [N, NH·D].
     */
    static double[] attention(
            double[] q,
            double[] k,
            double[] v,
            int batch,
            int seqLen,
            int[][] docLens,
            int heads,
            int kvHeads,
            int d,
            int window) {
        double[] out = new double[batch * seqLen * heads * d];
        double scale = 1 / Math.sqrt(d);
        int group = heads / kvHeads;
        for (int b = 0; b < batch; b++) {
            int[] blockStart = new int[seqLen];
            int start = 0;
            for (int len : docLens[b]) {
                for (int i = 0; i < len; i++) {
                    blockStart[start + i] = start;
                }
                start += len;
            }
            for (int i = start; i < seqLen; i++) {
                blockStart[i] = start;
            }
            for (int h = 0; h < heads; h++) {
                int g = h / group;
                for (int t = 0; t < seqLen; t++) {
                    int qi = ((b * seqLen + t) * heads + h) * d;
                    double[] sc = new double[seqLen];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int s = blockStart[t]; s <= t; s++) {
                        if (window > 0 && t - s >= window) {
                            continue;
                        }
                        int ki = ((b * seqLen + s) * kvHeads + g) * d;
                        double dot = 0;
                        for (int j = 0; j < d; j++) {
                            dot += q[qi + j] * k[ki + j];
                        }
                        sc[s] = dot * scale;
                        max = Math.max(max, sc[s]);
                    }
                    double sum = 0;
                    double[] p = new double[seqLen];
                    for (int s = blockStart[t]; s <= t; s++) {
                        if (window > 0 && t - s >= window) {
                            continue;
                        }
                        p[s] = Math.exp(sc[s] - max);
                        sum += p[s];
                    }
                    for (int s = blockStart[t]; s <= t; s++) {
                        int vi = ((b * seqLen + s) * kvHeads + g) * d;
                        for (int j = 0; j < d; j++) {
                            out[qi + j] += p[s] / sum * v[vi + j];
                        }
                    }
                }
            }
        }
        return out;
    }

    /** Σ_{targets ≠ -100} (logsumexp(h·Wᵀ) − (h·Wᵀ)[target]) / count. */
    static double lmHeadLoss(double[] h, double[] w, int[] targets, double count, int n, int c, int vocab) {
        double[] logits = linear(h, w, null, n, c, vocab);
        double loss = 0;
        for (int r = 0; r < n; r++) {
            if (targets[r] == LmHeadLoss.IGNORE) {
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < vocab; j++) {
                max = Math.max(max, logits[r * vocab + j]);
            }
            double sum = 0;
            for (int j = 0; j < vocab; j++) {
                sum += Math.exp(logits[r * vocab + j] - max);
            }
            loss += max + Math.log(sum) - logits[r * vocab + targets[r]];
        }
        return loss / count;
    }
}
