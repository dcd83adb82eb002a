package dev.sparktune.dl4j.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The SwiGLU MLP: {@code out = down(silu(gate(x)) ⊙ up(x))}, silu(g) = g·σ(g); N rows, C hidden, I intermediate.
 * Keeps g, u and their product (down's input); σ(g) is recomputed in backward rather than kept.
 *
 * <p>backward ADDS into the gate/up/down gradients (never zeroes them).
 */
public final class SwiGluMlp {
    private final int rows;
    private final Projection gate;
    private final Projection up;
    private final Projection down;
    private final INDArray sig; // [N, I] scratch: σ(g)
    private final INDArray act; // [N, I] kept: silu(g) ⊙ u
    private final INDArray dGate; // [N, I] scratch
    private final INDArray dUp; // [N, I] scratch
    private INDArray g; // [N, I] gate output (kept, owned by gate)
    private INDArray u; // [N, I] up output (kept, owned by up)

    public SwiGluMlp(LayerParams params, int rows) {
        this(params, rows, Projection.Factory.PLAIN);
    }

    /** With gate/up/down built by {@code projections} (e.g. LoRA adapters on frozen weights). */
    public SwiGluMlp(LayerParams params, int rows, Projection.Factory projections) {
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
    public boolean trainable() {
        return gate.trainable() || up.trainable() || down.trainable();
    }

    /** x [N, C] → [N, C] (a scratch buffer: the caller consumes it before the next layer runs). */
    public INDArray forward(INDArray x) {
        g = gate.forward(x);
        u = up.forward(x);
        sig.assign(g);
        Transforms.sigmoid(sig, false);
        act.assign(g).muli(sig).muli(u);
        return down.forward(act);
    }

    /**
     * Returns dx [N, C] (owned by gate_proj). With a = silu(g) ⊙ u: du = da ⊙ silu(g);
     * dg = da ⊙ u ⊙ silu'(g), silu'(g) = σ(g)·(1 + g·(1 − σ(g))).
     */
    public INDArray backward(INDArray dOut) {
        INDArray dAct = down.backward(dOut);
        sig.assign(g);
        Transforms.sigmoid(sig, false); // as the forward computed it
        dUp.assign(g).muli(sig).muli(dAct); // du = silu(g) ⊙ da
        dGate.assign(sig).rsubi(1.0).muli(g).addi(1.0).muli(sig).muli(u).muli(dAct);
        INDArray dx = gate.backward(dGate);
        up.backwardAccumulate(dUp, dx);
        return dx;
    }

    public int rows() {
        return rows;
    }
}
