//! The GRU core: the twin's gradient against finite differences, the GPU passes against the
//! twin, resets cutting the gradient flow, determinism and bad shapes.

mod common;

use common::gpu;
use wgym::learn::gru::pass::GruPass;
use wgym::learn::gru::twin::{self, Forward, Gradients};
use wgym::learn::gru::{GruCore, GruNet, Sequences, MAX_HIDDEN};
use wgym::learn::Activation;
use wgym::rng;

/// Inputs of one test case: weights (the initialisation with random biases), inputs, reset
/// flags (about one step in `reset_every`), initial states and an output gradient.
struct Case {
    net: GruNet,
    seq: Sequences,
    weights: Vec<f32>,
    x: Vec<f32>,
    resets: Vec<u32>,
    h0: Vec<f32>,
    d_hs: Vec<f32>,
}

/// A net of `inputs` floats through `encoder` (tanh) into `hidden` units.
fn net(inputs: u32, encoder: &[u32], hidden: u32) -> GruNet {
    GruNet::new(inputs, encoder, Activation::Tanh, hidden).unwrap()
}

fn case(net: GruNet, agents: u32, envs: u32, steps: u32, reset_every: u32) -> Case {
    let seq = Sequences::new(agents, envs, steps).unwrap();
    let key = rng::key(17);
    let mut weights: Vec<f32> = (0..agents)
        .flat_map(|a| net.init(rng::fold(key, a)))
        .collect();
    // Non-zero biases, so that their paths are exercised.
    let p = net.params() as usize;
    let (h, d, c0) = (
        net.core.hidden as usize,
        net.core.inputs as usize,
        net.core_offset() as usize,
    );
    let mut bias_rows = vec![(c0 + d * 3 * h, 3 * h), (p - h, h)];
    for l in 0..net.encoder.layers() {
        let (n_in, n_out, off) = net.encoder.layer(l);
        bias_rows.push(((off + n_in * n_out) as usize, n_out as usize));
    }
    for a in 0..agents as usize {
        for &(start, len) in &bias_rows {
            for i in 0..len {
                let k = (a * p + start + i) as u32;
                weights[a * p + start + i] = 0.5 * rng::normal(rng::fold(key, 100), 2 * k);
            }
        }
    }
    let normals = |stream: u32, len: usize| -> Vec<f32> {
        (0..len as u32)
            .map(|i| rng::normal(rng::fold(key, stream), 2 * i))
            .collect()
    };
    let resets = (0..seq.rows() as u32)
        .map(|i| (rng::below(rng::fold(key, 4), i, reset_every) == 0) as u32)
        .collect();
    Case {
        x: normals(1, seq.rows() * net.inputs() as usize),
        h0: normals(2, seq.sequences() * h)
            .iter()
            .map(|v| 0.5 * v)
            .collect(),
        d_hs: normals(3, seq.rows() * h),
        resets,
        net,
        seq,
        weights,
    }
}

impl Case {
    fn twin_forward(&self) -> Forward {
        twin::forward(
            &self.net,
            &self.seq,
            &self.weights,
            &self.x,
            &self.resets,
            &self.h0,
        )
    }

    fn twin_gradients(&self) -> Gradients {
        let fwd = self.twin_forward();
        let (c, s) = (&self.net, &self.seq);
        twin::backward(c, s, &self.weights, &self.x, &self.resets, &fwd, &self.d_hs)
    }

    /// The loss whose output gradient is `d_hs`: sum over rows and units of d_hs * hs.
    fn loss(&self) -> f64 {
        let hs = self.twin_forward().hs;
        hs.iter().zip(&self.d_hs).map(|(h, c)| (h * c) as f64).sum()
    }

    fn gpu_pass(&self) -> (GruPass, Forward, Gradients) {
        let pass = GruPass::new(&gpu(), self.net.clone(), self.seq).unwrap();
        pass.forward(&self.weights, &self.x, &self.resets, &self.h0)
            .unwrap();
        let fwd = pass.read_forward().unwrap();
        pass.backward(&self.d_hs).unwrap();
        let grads = pass.read_gradients().unwrap();
        (pass, fwd, grads)
    }
}

/// Central differences of the loss along each coordinate of one of the case's inputs.
/// Which of a case's inputs to perturb.
type Pick = fn(&mut Case) -> &mut Vec<f32>;

fn finite_differences(c: &mut Case, pick: Pick) -> Vec<f64> {
    let eps = 1e-2f32;
    (0..pick(c).len())
        .map(|i| {
            let v = pick(c)[i];
            pick(c)[i] = v + eps;
            let up = c.loss();
            pick(c)[i] = v - eps;
            let down = c.loss();
            pick(c)[i] = v;
            (up - down) / (2.0 * eps as f64)
        })
        .collect()
}

#[test]
fn twin_gradient_matches_finite_differences() {
    // Two agents, two envs each, resets inside the sequences; with and without an encoder.
    for encoder in [&[][..], &[5, 4]] {
        check_finite_differences(case(net(3, encoder, 4), 2, 2, 9, 4));
    }
}

fn check_finite_differences(mut c: Case) {
    assert!(c.resets.contains(&1) && c.resets.contains(&0));
    let g = c.twin_gradients();
    let checks: [(&str, Pick, &[f32]); 3] = [
        ("weight", |c| &mut c.weights, &g.weights),
        ("input", |c| &mut c.x, &g.x),
        ("initial state", |c| &mut c.h0, &g.h0),
    ];
    for (what, pick, analytic) in checks {
        let numeric = finite_differences(&mut c, pick);
        let norm = analytic.iter().map(|v| v.abs()).fold(0.0, f32::max);
        assert!(norm > 1e-2, "the {what} gradient is {norm}");
        for (i, (n, a)) in numeric.iter().zip(analytic).enumerate() {
            assert!(
                (*n as f32 - a).abs() <= 2e-3 * (1.0 + a.abs()),
                "{what} {i}: finite differences {n} vs BPTT {a}"
            );
        }
    }
}

/// |gpu - twin| within `tol` of the larger of 1 and the vector's largest magnitude.
fn assert_close(what: &str, gpu: &[f32], twin: &[f32], tol: f32) {
    assert_eq!(gpu.len(), twin.len(), "{what}: lengths");
    let scale = twin.iter().map(|v| v.abs()).fold(1.0, f32::max);
    for (i, (g, t)) in gpu.iter().zip(twin).enumerate() {
        assert!(
            (g - t).abs() <= tol * scale,
            "{what} {i}: gpu {g} vs twin {t}"
        );
    }
}

fn check_against_twin(c: &Case) {
    let (_, fwd, grads) = c.gpu_pass();
    let twin_fwd = c.twin_forward();
    let twin_grads = c.twin_gradients();
    // The devices' exp and tanh differ from Rust's by a few ulps; sums of hundreds of rows
    // in another order add a few more.
    let tol = 1e-4;
    for (l, (g, t)) in fwd.encoded.iter().zip(&twin_fwd.encoded).enumerate() {
        assert_close(&format!("encoder layer {l}"), g, t, tol);
    }
    assert_close("gx", &fwd.gx, &twin_fwd.gx, tol);
    assert_close("hs", &fwd.hs, &twin_fwd.hs, tol);
    assert_close("hprev", &fwd.hprev, &twin_fwd.hprev, tol);
    assert_close("gates", &fwd.gates, &twin_fwd.gates, tol);
    assert_close("dL/dweights", &grads.weights, &twin_grads.weights, tol);
    assert_close("dL/dx", &grads.x, &twin_grads.x, tol);
    assert_close("dL/dh0", &grads.h0, &twin_grads.h0, tol);
}

#[test]
fn gpu_passes_match_the_twin() {
    // One tile per agent; two tiles per agent, the second part-empty; two pairs per
    // invocation, the second part-empty; encoders of both activations.
    let relu = GruNet::new(6, &[16], Activation::Relu, 8).unwrap();
    for (net, agents, envs, steps) in [
        (net(3, &[], 8), 2, 5, 40),
        (net(5, &[], 100), 2, 3, 6),
        (net(2, &[], 300), 1, 2, 4),
        (relu, 3, 4, 20),
        (net(4, &[12, 7], 10), 2, 3, 15),
    ] {
        check_against_twin(&case(net, agents, envs, steps, 7));
    }
}

#[test]
fn long_sequences_split_into_dispatches_and_match_the_twin() {
    let c = case(net(2, &[], 8), 1, 1, 3800, 50);
    let pass = GruPass::new(&gpu(), c.net.clone(), c.seq).unwrap();
    // On CPU adapters the loop budget splits the sequence; GPUs run it in one dispatch.
    assert!(!gpu().is_cpu() || pass.tiling().steps < c.seq.steps);
    check_against_twin(&c);
}

#[test]
fn a_reset_cuts_the_gradient_flow() {
    let mut c = case(net(3, &[5], 6), 2, 3, 12, 1000);
    let (steps, h, d) = (12usize, 6usize, 3usize);
    let (reset_at, loss_at) = (5usize, 9usize);
    c.resets.iter_mut().for_each(|r| *r = 0);
    for s in 0..c.seq.sequences() {
        c.resets[s * steps + reset_at] = 1;
        // The loss reads the state after step `loss_at` only.
        for t in 0..steps {
            if t != loss_at {
                c.d_hs[(s * steps + t) * h..(s * steps + t + 1) * h].fill(0.0);
            }
        }
    }
    let (_, _, gpu_grads) = c.gpu_pass();
    for grads in [c.twin_gradients(), gpu_grads] {
        assert!(grads.h0.iter().all(|&v| v == 0.0), "dL/dh0 {:?}", grads.h0);
        for s in 0..c.seq.sequences() {
            let dx = |t: usize| &grads.x[(s * steps + t) * d..(s * steps + t + 1) * d];
            for t in 0..reset_at {
                assert!(dx(t).iter().all(|&v| v == 0.0), "dL/dx at {t}: {:?}", dx(t));
            }
            for t in reset_at..=loss_at {
                assert!(dx(t).iter().any(|&v| v != 0.0), "dL/dx at {t} is zero");
            }
            for t in loss_at + 1..steps {
                assert!(
                    dx(t).iter().all(|&v| v == 0.0),
                    "dL/dx after the loss at {t}"
                );
            }
        }
    }
}

#[test]
fn gpu_passes_are_deterministic() {
    let c = case(net(3, &[6], 8), 2, 5, 40, 7);
    let (pass, fwd, grads) = c.gpu_pass();
    pass.forward(&c.weights, &c.x, &c.resets, &c.h0).unwrap();
    pass.backward(&c.d_hs).unwrap();
    assert_eq!(pass.read_forward().unwrap(), fwd);
    assert_eq!(pass.read_gradients().unwrap(), grads);
    let (_, fwd2, grads2) = c.gpu_pass();
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&fwd2.hs), bits(&fwd.hs));
    assert_eq!(bits(&grads2.weights), bits(&grads.weights));
}

#[test]
fn bad_shapes_are_clear_errors() {
    for (inputs, hidden, field) in [
        (3, 0, "gru.hidden"),
        (3, MAX_HIDDEN + 1, "gru.hidden"),
        (0, 8, "gru.inputs"),
    ] {
        let e = GruCore::new(inputs, hidden).unwrap_err().to_string();
        assert!(e.contains(field), "{inputs} x {hidden}: {e}");
    }
    let e = GruNet::new(3, &[4, 0], Activation::Relu, 8)
        .unwrap_err()
        .to_string();
    assert!(e.contains("gru.encoder"), "{e}");
    let e = Sequences::new(1, 0, 8).unwrap_err().to_string();
    assert!(e.contains("at least 1"), "{e}");
    let c = case(net(3, &[], 8), 1, 2, 4, 3);
    let pass = GruPass::new(&gpu(), c.net.clone(), c.seq).unwrap();
    let e = pass
        .forward(&c.weights, &c.x[1..], &c.resets, &c.h0)
        .unwrap_err()
        .to_string();
    assert!(e.contains("values given"), "{e}");
    let e = pass.backward(&c.d_hs[1..]).unwrap_err().to_string();
    assert!(e.contains("values given"), "{e}");
}
