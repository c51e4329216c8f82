// The actor and critic MLPs for one env inside a kernel (twin: src/learn/net.rs). The
// activations live in the private array `act`, the observation at its start; weights are
// read from `weights` (declared by the driver) at the agent's offset, which is the same
// for the whole workgroup, so the reads are broadcasts.

var<private> act: array<f32, ACT_LEN>;

// One dense layer: act[dst + j] = f(sum_i act[src + i] W[i][j] + b[j]), W row-major
// [n_in][n_out] with the bias row after it.
fn dense(w: u32, n_in: u32, n_out: u32, src: u32, dst: u32, hidden: bool) {
    for (var j = 0u; j < n_out; j++) {
        var acc = weights[w + n_in * n_out + j];
        for (var i = 0u; i < n_in; i++) {
            acc = fma(act[src + i], weights[w + i * n_out + j], acc);
        }
        if hidden {
            acc = select(max(acc, 0.0), tanh(acc), HIDDEN_ACTIVATION == 1u);
        }
        act[dst + j] = acc;
    }
}

// The MLP with widths NET_DIMS[first..=first + layers] and weights from w0, on the
// observation in act[0..OBS_DIM]; its layers' outputs from act[dst0] on. Returns where its
// output starts.
fn mlp_forward(w0: u32, layers: u32, first: u32, dst0: u32) -> u32 {
    var w = w0;
    var src = 0u;
    var dst = dst0;
    for (var l = 0u; l < layers; l++) {
        let n_in = NET_DIMS[first + l];
        let n_out = NET_DIMS[first + l + 1u];
        dense(w, n_in, n_out, src, dst, l + 1u < layers);
        w += (n_in + 1u) * n_out;
        src = dst;
        dst += n_out;
    }
    return src;
}

// The actor; returns where its logits start in `act`.
fn actor_forward(w0: u32) -> u32 {
    return mlp_forward(w0, ACTOR_LAYERS, 0u, OBS_DIM);
}

// The critic's value (its activations overwrite the actor's).
fn critic_forward(w0: u32) -> f32 {
    return act[mlp_forward(w0 + CRITIC_OFFSET, CRITIC_LAYERS, ACTOR_LAYERS + 1u, OBS_DIM)];
}
