//! Host side and CPU twins of the generic agent-batched kernels in `shaders/nn.wgsl`
//! (dense-layer products) and `shaders/reduce.wgsl` (per-agent column sums).

use bytemuck::{Pod, Zeroable};

/// A strided matrix view: element (row, col) of agent a is at
/// `off + a * agent + row * row_stride + col * col_stride`. Transposes are swapped strides.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct View {
    pub off: u32,
    pub agent: u32,
    pub row: u32,
    pub col: u32,
}

impl View {
    /// A row-major [rows][cols] matrix per agent, agents `agent` apart.
    pub fn rows(off: u32, agent: u32, cols: u32) -> View {
        View {
            off,
            agent,
            row: cols,
            col: 1,
        }
    }
    /// The transpose of this view.
    pub fn t(self) -> View {
        View {
            row: self.col,
            col: self.row,
            ..self
        }
    }
    fn at(&self, agent: u32, row: u32, col: u32) -> usize {
        (self.off + agent * self.agent + row * self.row + col * self.col) as usize
    }
}

/// What follows the sum in `matmul_rows` (the WGSL codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Epilogue {
    None = 0,
    Tanh = 1,
    Relu = 2,
    TimesTanhDerivative = 3,
    TimesReluDerivative = 4,
}

/// Twin of WGSL `MatmulConfig`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct MatmulConfig {
    pub m: u32,
    pub n: u32,
    pub k: u32,
    pub a: [u32; 4],
    pub b: [u32; 4],
    pub c: [u32; 4],
    pub e: [u32; 4],
    pub bias: u32,
    pub epilogue: u32,
    pub chunk: u32,
    pub c_chunk: u32,
}

fn words(v: View) -> [u32; 4] {
    [v.off, v.agent, v.row, v.col]
}

fn view(w: [u32; 4]) -> View {
    View {
        off: w[0],
        agent: w[1],
        row: w[2],
        col: w[3],
    }
}

impl MatmulConfig {
    /// C (m x n) = epilogue(A (m x k) B (k x n) [+ bias row k of B]); E is the
    /// activation output the derivative epilogues read.
    #[allow(clippy::too_many_arguments)]
    pub fn rows(
        m: u32,
        n: u32,
        k: u32,
        a: View,
        b: View,
        c: View,
        bias: bool,
        epilogue: Epilogue,
        e: View,
    ) -> Self {
        MatmulConfig {
            m,
            n,
            k,
            a: words(a),
            b: words(b),
            c: words(c),
            e: words(e),
            bias: bias as u32,
            epilogue: epilogue as u32,
            chunk: 0,
            c_chunk: 0,
        }
    }

    /// C (m x n [+ 1]) = A (m x k) [B | 1] (k x n [+ 1]), the sum over k split into chunks
    /// of `chunk`, chunk c written `c_chunk` further on.
    #[allow(clippy::too_many_arguments)]
    pub fn outer(
        m: u32,
        n: u32,
        k: u32,
        a: View,
        b: View,
        c: View,
        bias: bool,
        chunk: u32,
        c_chunk: u32,
    ) -> Self {
        MatmulConfig {
            m,
            n,
            k,
            a: words(a),
            b: words(b),
            c: words(c),
            e: words(c),
            bias: bias as u32,
            epilogue: 0,
            chunk,
            c_chunk,
        }
    }

    pub fn chunks(&self) -> u32 {
        self.k.div_ceil(self.chunk.max(1))
    }
}

/// Twin of `matmul_rows` for one agent.
pub fn matmul_rows(cfg: &MatmulConfig, agent: u32, a: &[f32], b: &[f32], c: &mut [f32], e: &[f32]) {
    let (va, vb, vc, ve) = (view(cfg.a), view(cfg.b), view(cfg.c), view(cfg.e));
    for r in 0..cfg.m {
        let row: Vec<f32> = (0..cfg.k).map(|k| a[va.at(agent, r, k)]).collect();
        for j in 0..cfg.n {
            let mut acc = if cfg.bias != 0 {
                b[vb.at(agent, cfg.k, j)]
            } else {
                0.0
            };
            for (k, x) in row.iter().enumerate() {
                acc = x.mul_add(b[vb.at(agent, k as u32, j)], acc);
            }
            let out = if cfg.epilogue >= 3 {
                e[ve.at(agent, r, j)]
            } else {
                0.0
            };
            c[vc.at(agent, r, j)] = match cfg.epilogue {
                1 => acc.tanh(),
                2 => acc.max(0.0),
                3 => acc * (1.0 - out * out),
                4 => {
                    if out > 0.0 {
                        acc
                    } else {
                        0.0
                    }
                }
                _ => acc,
            };
        }
    }
}

/// Twin of `matmul_outer` for one agent (all chunks).
pub fn matmul_outer(cfg: &MatmulConfig, agent: u32, a: &[f32], b: &[f32], c: &mut [f32]) {
    let (va, vb, vc) = (view(cfg.a), view(cfg.b), view(cfg.c));
    let columns = (cfg.n + cfg.bias) as usize;
    for chunk in 0..cfg.chunks() {
        for r in 0..cfg.m {
            let mut sums = vec![0.0f32; columns];
            for k in chunk * cfg.chunk..cfg.k.min((chunk + 1) * cfg.chunk) {
                let x = a[va.at(agent, r, k)];
                for j in 0..cfg.n {
                    sums[j as usize] = x.mul_add(b[vb.at(agent, k, j)], sums[j as usize]);
                }
                if cfg.bias != 0 {
                    sums[cfg.n as usize] += x;
                }
            }
            for (j, s) in sums.into_iter().enumerate() {
                c[vc.at(agent, r, j as u32) + (chunk * cfg.c_chunk) as usize] = s;
            }
        }
    }
}

/// Twin of WGSL `ReduceConfig`: out[a][w] (+)= sum_r x[a][r][w] for `columns` columns.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct ReduceConfig {
    pub rows: u32,
    pub x_off: u32,
    pub x_agent: u32,
    pub x_row: u32,
    pub out_off: u32,
    pub out_agent: u32,
    pub accumulate: u32,
    pub _pad: u32,
}

/// Lanes of the fixed reduction tree in `shaders/reduce.wgsl`.
pub const REDUCE_WIDTH: usize = 64;

/// Twin of `column_sums` for one agent and `columns` columns, in the kernel's order.
pub fn column_sums(cfg: &ReduceConfig, columns: u32, agent: u32, x: &[f32], out: &mut [f32]) {
    for w in 0..columns {
        let x0 = (cfg.x_off + agent * cfg.x_agent + w) as usize;
        let mut partial = [0.0f32; REDUCE_WIDTH];
        for (lane, p) in partial.iter_mut().enumerate() {
            let mut r = lane;
            while r < cfg.rows as usize {
                *p += x[x0 + r * cfg.x_row as usize];
                r += REDUCE_WIDTH;
            }
        }
        let o = (cfg.out_off + agent * cfg.out_agent + w) as usize;
        out[o] = tree_sum(&mut partial) + if cfg.accumulate != 0 { out[o] } else { 0.0 };
    }
}

/// Halve in place as the kernels' workgroup trees do; returns the total.
pub fn tree_sum(partial: &mut [f32; REDUCE_WIDTH]) -> f32 {
    let mut half = REDUCE_WIDTH / 2;
    while half > 0 {
        for lane in 0..half {
            partial[lane] += partial[lane + half];
        }
        half /= 2;
    }
    partial[0]
}
