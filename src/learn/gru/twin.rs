//! CPU twin of the GRU core's GPU passes ([`super::pass::GruPass`]): the same inputs and
//! outputs, the same sums in the same order within a row, so the two agree to within the
//! devices' `exp`/`tanh` accuracy.

use super::{GruNet, Sequences};
use crate::learn::net::{Activation, Mlp};

/// What the forward pass writes (and the backward pass reads).
#[derive(Clone, Debug, PartialEq)]
pub struct Forward {
    /// Each encoder layer's output, [layer][row][width].
    pub encoded: Vec<Vec<f32>>,
    /// The input terms `x W_i + b_i`, [row][3H].
    pub gx: Vec<f32>,
    /// The state after each step, [row][H]: the core's output.
    pub hs: Vec<f32>,
    /// The state each step saw (zero after a reset), [row][H].
    pub hprev: Vec<f32>,
    /// r, z, n and `h W_hn + b_hn` of each step, [row][4H].
    pub gates: Vec<f32>,
}

/// What the backward pass gives.
#[derive(Clone, Debug, PartialEq)]
pub struct Gradients {
    /// dL/dweights summed over every env and step, [agent][params].
    pub weights: Vec<f32>,
    /// dL/dx (the net's input), [row][inputs].
    pub x: Vec<f32>,
    /// dL/dh0, [sequence][H].
    pub h0: Vec<f32>,
}

fn sigmoid(v: f32) -> f32 {
    1.0 / (1.0 + (-v).exp())
}

/// The encoder's layers over every row (twin of its `nn.wgsl` products): each output after
/// the activation.
fn encode(
    encoder: &Mlp,
    activation: Activation,
    seq: &Sequences,
    params: usize,
    weights: &[f32],
    x: &[f32],
) -> Vec<Vec<f32>> {
    let mut outputs: Vec<Vec<f32>> = Vec::new();
    for l in 0..encoder.layers() {
        let (n_in, n_out, off) = encoder.layer(l);
        let (n_in, n_out, off) = (n_in as usize, n_out as usize, off as usize);
        let input = outputs.last().map_or(x, |o| o.as_slice());
        let agent_rows = seq.agent_rows() as usize;
        let out = (0..seq.rows() * n_out)
            .map(|i| {
                let (row, j) = (i / n_out, i % n_out);
                let w = &weights[row / agent_rows * params + off..];
                let sum = (0..n_in).fold(w[n_in * n_out + j], |acc, k| {
                    input[row * n_in + k].mul_add(w[k * n_out + j], acc)
                });
                activation.apply(sum)
            })
            .collect();
        outputs.push(out);
    }
    outputs
}

/// Run the net over every sequence: `weights` [agent][params], `x` [row][inputs], `resets`
/// [row], `h0` [sequence][H].
pub fn forward(
    net: &GruNet,
    seq: &Sequences,
    weights: &[f32],
    x: &[f32],
    resets: &[u32],
    h0: &[f32],
) -> Forward {
    let core = &net.core;
    let (d, h) = (core.inputs as usize, core.hidden as usize);
    let (p, steps) = (net.params() as usize, seq.steps as usize);
    let rows = seq.rows();
    let encoded = encode(&net.encoder, net.activation, seq, p, weights, x);
    let x = encoded.last().map_or(x, |e| e.as_slice());
    let mut out = Forward {
        encoded: Vec::new(),
        gx: vec![0.0; rows * 3 * h],
        hs: vec![0.0; rows * h],
        hprev: vec![0.0; rows * h],
        gates: vec![0.0; rows * 4 * h],
    };
    for s in 0..seq.sequences() {
        let w = &weights[s / seq.envs as usize * p + net.core_offset() as usize..];
        let (rz, n) = (core.hidden_rz() as usize, core.hidden_n() as usize);
        let mut state = h0[s * h..(s + 1) * h].to_vec();
        for t in 0..steps {
            let row = s * steps + t;
            let gx = &mut out.gx[row * 3 * h..(row + 1) * 3 * h];
            for (c, g) in gx.iter_mut().enumerate() {
                *g = (0..d).fold(w[d * 3 * h + c], |acc, i| {
                    x[row * d + i].mul_add(w[i * 3 * h + c], acc)
                });
            }
            let keep = if resets[row] != 0 { 0.0 } else { 1.0 };
            let mut next = vec![0.0; h];
            for j in 0..h {
                let (mut ar, mut az, mut an) = (0.0f32, 0.0f32, 0.0f32);
                for (k, &hk) in state.iter().enumerate() {
                    ar = hk.mul_add(w[rz + k * 2 * h + j], ar);
                    az = hk.mul_add(w[rz + k * 2 * h + h + j], az);
                    an = hk.mul_add(w[n + k * h + j], an);
                }
                let r = sigmoid(gx[j] + keep * ar);
                let z = sigmoid(gx[h + j] + keep * az);
                let hn = keep * an + w[n + h * h + j];
                let cand = (gx[2 * h + j] + r * hn).tanh();
                let before = keep * state[j];
                next[j] = (1.0 - z) * cand + z * before;
                out.hprev[row * h + j] = before;
                let q = row * 4 * h + j;
                [r, z, cand, hn]
                    .iter()
                    .enumerate()
                    .for_each(|(g, &v)| out.gates[q + g * h] = v);
            }
            out.hs[row * h..(row + 1) * h].copy_from_slice(&next);
            state = next;
        }
    }
    out.encoded = encoded;
    out
}

/// BPTT of the loss whose gradient with respect to each step's output is `d_hs` [row][H],
/// through the run `fwd` of [`forward`] on the same inputs.
pub fn backward(
    net: &GruNet,
    seq: &Sequences,
    weights: &[f32],
    x: &[f32],
    resets: &[u32],
    fwd: &Forward,
    d_hs: &[f32],
) -> Gradients {
    let core = &net.core;
    let (d, h) = (core.inputs as usize, core.hidden as usize);
    let (p, steps) = (net.params() as usize, seq.steps as usize);
    let net_x = x;
    let x = fwd.encoded.last().map_or(x, |e| e.as_slice());
    let c0 = net.core_offset() as usize;
    let (rz, n) = (core.hidden_rz() as usize, core.hidden_n() as usize);
    let rows = seq.rows();
    // dL/d(gx) and dL/d(h W_h + [0, 0, b_hn]) of every row.
    let mut dgx = vec![0.0f32; rows * 3 * h];
    let mut dgh = vec![0.0f32; rows * 3 * h];
    let mut d_h0 = vec![0.0f32; seq.sequences() * h];
    for s in 0..seq.sequences() {
        let w = &weights[s / seq.envs as usize * p + c0..];
        let mut carry = vec![0.0f32; h];
        for t in (0..steps).rev() {
            let row = s * steps + t;
            let mut direct = vec![0.0f32; h];
            for j in 0..h {
                let dh = carry[j] + d_hs[row * h + j];
                let q = row * 4 * h + j;
                let [r, z, cand, hn] = [0, 1, 2, 3].map(|g| fwd.gates[q + g * h]);
                let da_n = dh * (1.0 - z) * (1.0 - cand * cand);
                let da_z = dh * (fwd.hprev[row * h + j] - cand) * z * (1.0 - z);
                let da_r = da_n * hn * r * (1.0 - r);
                let g = row * 3 * h + j;
                [dgx[g], dgx[g + h], dgx[g + 2 * h]] = [da_r, da_z, da_n];
                [dgh[g], dgh[g + h], dgh[g + 2 * h]] = [da_r, da_z, da_n * r];
                direct[j] = dh * z;
            }
            let dg = &dgh[row * 3 * h..(row + 1) * 3 * h];
            for j in 0..h {
                let mut acc = direct[j];
                for k in 0..h {
                    acc = w[rz + j * 2 * h + k].mul_add(dg[k], acc);
                    acc = w[rz + j * 2 * h + h + k].mul_add(dg[h + k], acc);
                    acc = w[n + j * h + k].mul_add(dg[2 * h + k], acc);
                }
                carry[j] = if resets[row] != 0 { 0.0 } else { acc };
            }
        }
        d_h0[s * h..(s + 1) * h].copy_from_slice(&carry);
    }
    let mut grads = vec![0.0f32; seq.agents as usize * p];
    let mut dx = vec![0.0f32; rows * d];
    let agent_rows = seq.agent_rows() as usize;
    for row in 0..rows {
        let (w, gw) = (
            &weights[row / agent_rows * p + c0..],
            &mut grads[row / agent_rows * p + c0..],
        );
        let (xr, hp) = (
            &x[row * d..(row + 1) * d],
            &fwd.hprev[row * h..(row + 1) * h],
        );
        let (gxr, ghr) = (
            &dgx[row * 3 * h..(row + 1) * 3 * h],
            &dgh[row * 3 * h..(row + 1) * 3 * h],
        );
        // The input kernel and its bias row, as a dense layer from x to gx.
        for (c, &g) in gxr.iter().enumerate() {
            for i in 0..d {
                gw[i * 3 * h + c] += xr[i] * g;
            }
            gw[d * 3 * h + c] += g;
        }
        for k in 0..h {
            for c in 0..2 * h {
                gw[rz + k * 2 * h + c] += hp[k] * ghr[c];
            }
            for j in 0..h {
                gw[n + k * h + j] += hp[k] * ghr[2 * h + j];
            }
        }
        for j in 0..h {
            gw[n + h * h + j] += ghr[2 * h + j];
        }
        for i in 0..d {
            dx[row * d + i] = (0..3 * h).fold(0.0, |acc, c| gxr[c].mul_add(w[i * 3 * h + c], acc));
        }
    }
    // Back through the encoder: each layer's output gradient times the activation's
    // derivative (the `nn.wgsl` epilogue), then its weight gradient and input gradient.
    for l in (0..net.encoder.layers()).rev() {
        let (n_in, n_out, off) = net.encoder.layer(l);
        let (n_in, n_out, off) = (n_in as usize, n_out as usize, off as usize);
        let input = if l == 0 { net_x } else { &fwd.encoded[l - 1] };
        let output = &fwd.encoded[l];
        let delta: Vec<f32> = dx
            .iter()
            .zip(output)
            .map(|(&g, &o)| g * net.activation.derivative_at_output(o))
            .collect();
        let mut d_input = vec![0.0f32; rows * n_in];
        for row in 0..rows {
            let a = row / agent_rows * p + off;
            let dr = &delta[row * n_out..(row + 1) * n_out];
            for (j, &g) in dr.iter().enumerate() {
                for i in 0..n_in {
                    grads[a + i * n_out + j] += input[row * n_in + i] * g;
                }
                grads[a + n_in * n_out + j] += g;
            }
            for i in 0..n_in {
                d_input[row * n_in + i] =
                    (0..n_out).fold(0.0, |acc, j| dr[j].mul_add(weights[a + i * n_out + j], acc));
            }
        }
        dx = d_input;
    }
    Gradients {
        weights: grads,
        x: dx,
        h0: d_h0,
    }
}
