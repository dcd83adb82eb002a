package dev.sparktune.dl4j.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The gated MLP: {@code out = down(act(gate(x)) ⊙ up(x))}; N rows, C hidden, I intermediate. act is silu(g) = g·σ(g)
 * (SwiGLU) or, for Gemma, gelu_pytorch_tanh: gelu(g) = g·(1 + t)/2, t = tanh(√(2/π)·(g + 0.044715·g³)).
 * Keeps g, u and their product (down's input); σ(g) or t is recomputed in backward rather than kept.
 *
 * <p>backward ADDS into the gate/up/down gradients (never zeroes them).
 */
public final class SwiGluMlp implements FeedForward {
    /** The gate's activation. */
    public enum Activation {
        SILU,
        GELU_TANH
    }

    private static final double GELU_K = Math.sqrt(2.0 / Math.PI);
    private static final double GELU_A = 0.044715;
    private final Activation activation;
    private final int rows;
    private final Projection gate;
    private final Projection up;
    private final Projection down;
    private final INDArray sig; // [N, I] scratch: σ(g), or t for gelu
    private final INDArray act; // [N, I] kept: silu(g) ⊙ u
    private final INDArray dGate; // [N, I] scratch
    private final INDArray dUp; // [N, I] scratch
    private INDArray g; // [N, I] gate output (kept, owned by gate)
    private INDArray u; // [N, I] up output (kept, owned by up)

    public SwiGluMlp(LayerParams params, int rows) {
        this(params, rows, Projection.Factory.PLAIN, Activation.SILU);
    }

    /** With gate/up/down built by {@code projections} (e.g. LoRA adapters on frozen weights). */
    public SwiGluMlp(LayerParams params, int rows, Projection.Factory projections, Activation activation) {
        this.activation = activation;
        this.rows = rows;
        this.gate = projections.create(params, "gate_proj", rows, OutputUse.READ_IN_BACKWARD);
        this.up = projections.create(params, "up_proj", rows, OutputUse.READ_IN_BACKWARD);
        this.down = projections.create(params, "down_proj", rows, OutputUse.FORWARD_ONLY);
        long inter = gate.outFeatures();
        this.sig = Shapes.scratch(rows, inter);
        this.act = Shapes.buffer(rows, inter);
        this.dGate = Shapes.scratch(rows, inter);
        this.dUp = Shapes.scratch(rows, inter);
    }

    /** Whether backward adds into any parameter gradient. */
    @Override
    public boolean trainable() {
        return gate.trainable() || up.trainable() || down.trainable();
    }

    /** x [N, C] → [N, C] (a scratch buffer: the caller consumes it before the next layer runs). */
    @Override
    public INDArray forward(INDArray x) {
        g = gate.forward(x);
        u = up.forward(x);
        if (activation == Activation.SILU) {
            siluProduct(g, u, sig, act);
        } else {
            gateNonlinearity();
            act.assign(sig).addi(1.0).muli(g).muli(0.5).muli(u);
        }
        return down.forward(act);
    }

    /** t = tanh(√(2/π)·(g + a·g³)) (gelu) into sig. */
    private void gateNonlinearity() {
        sig.assign(g).muli(g).muli(g).muli(GELU_A).addi(g).muli(GELU_K);
        Transforms.tanh(sig, false);
    }

    /**
     * Returns dx [N, C] (owned by gate_proj). With a = silu(g) ⊙ u: du = da ⊙ silu(g);
     * dg = da ⊙ u ⊙ silu'(g), silu'(g) = σ(g)·(1 + g·(1 − σ(g))). With act = gelu: du = da ⊙ gelu(g);
     * gelu'(g) = (1 + t)/2 + g·(1 − t²)·√(2/π)·(1 + 3a·g²)/2.
     */
    @Override
    public INDArray backward(INDArray dOut) {
        INDArray dAct = down.backward(dOut);
        if (activation == Activation.SILU) {
            siluProductBackward(g, u, sig, dAct, dGate, dUp);
        } else {
            gateNonlinearity(); // as the forward computed it
            dUp.assign(g).muli(g).muli(3 * GELU_A).addi(1.0); // 1 + 3a·g², for a moment
            dGate.assign(sig).muli(sig).rsubi(1.0).muli(g).muli(0.5 * GELU_K).muli(dUp);
            dUp.assign(sig).addi(1.0).muli(0.5); // (1 + t)/2
            dGate.addi(dUp).muli(u).muli(dAct);
            dUp.muli(g).muli(dAct); // du = gelu(g) ⊙ da
        }
        INDArray dx = gate.backward(dGate);
        up.backwardAccumulate(dUp, dx);
        return dx;
    }

    /** act = silu(g) ⊙ u, σ(g) into {@code sig} (scratch); the routed experts ({@link RoutedExperts}) share it. */
    static void siluProduct(INDArray g, INDArray u, INDArray sig, INDArray act) {
        sig.assign(g);
        Transforms.sigmoid(sig, false);
        act.assign(g).muli(sig).muli(u);
    }

    /** du = da ⊙ silu(g); dg = da ⊙ u ⊙ σ(g)·(1 + g·(1 − σ(g))), σ(g) recomputed into {@code sig}. */
    static void siluProductBackward(INDArray g, INDArray u, INDArray sig, INDArray dAct, INDArray dG, INDArray dU) {
        sig.assign(g);
        Transforms.sigmoid(sig, false);
        dU.assign(g).muli(sig).muli(dAct);
        dG.assign(sig).rsubi(1.0).muli(g).addi(1.0).muli(sig).muli(u).muli(dAct);
    }

    public int rows() {
        return rows;
    }
}
