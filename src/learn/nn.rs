//! Host side of the generic agent-batched kernels in `shaders/nn.wgsl` (the dense-layer
//! product) and `shaders/reduce.wgsl` (per-agent column sums).

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
}

/// What follows the sum (the WGSL codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Epilogue {
    None = 0,
    Tanh = 1,
    Relu = 2,
    TimesTanhDerivative = 3,
    TimesReluDerivative = 4,
}

pub const BIAS_ROW: u32 = 1;
pub const BIAS_COLUMN: u32 = 2;
pub const ONES_ROW: u32 = 3;
/// Columns of C per invocation.
pub const TILE: u32 = 16;
/// Rows of C per invocation (the `ROWS` override): with `TILE`, the register tile.
pub const ROWS: u32 = 4;

/// The shape and strides of one product: the `override`s of `shaders/nn.wgsl`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
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
    /// Rows of C per invocation.
    pub rows: u32,
}

fn words(v: View) -> [u32; 4] {
    [v.off, v.agent, v.row, v.col]
}

impl MatmulConfig {
    /// A layer's forward pass or input gradient: C (m x n) = epilogue(A (m x k) B (k x n)
    /// [+ bias row k of B]); E is the activation output the derivative epilogues read.
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
            bias: if bias { BIAS_ROW } else { 0 },
            epilogue: epilogue as u32,
            chunk: k.max(1),
            c_chunk: 0,
            rows: ROWS,
        }
    }

    /// A weight gradient: C (m x n+1) = A (m x k) [B | 1] (k x n+1), the sum over k split
    /// into chunks of `chunk`, chunk c written `c * c_chunk` further on.
    #[allow(clippy::too_many_arguments)]
    pub fn outer(
        m: u32,
        n: u32,
        k: u32,
        a: View,
        b: View,
        c: View,
        chunk: u32,
        c_chunk: u32,
    ) -> Self {
        MatmulConfig {
            bias: BIAS_COLUMN,
            chunk,
            c_chunk,
            ..Self::rows(m, n, k, a, b, c, false, Epilogue::None, c)
        }
    }

    /// A weight gradient in transposed form: C (m+1 x n) = [A ; 1] (m+1 x k) B (k x n), A's
    /// extra last row of ones giving the bias gradient as C's last row; otherwise as
    /// [`MatmulConfig::outer`]. The same sums in the same order, with the long side of the
    /// gradient on the invocations (for layers with few outputs).
    #[allow(clippy::too_many_arguments)]
    pub fn outer_transposed(
        m: u32,
        n: u32,
        k: u32,
        a: View,
        b: View,
        c: View,
        chunk: u32,
        c_chunk: u32,
    ) -> Self {
        MatmulConfig {
            m: m + 1,
            bias: ONES_ROW,
            ..Self::outer(m, n, k, a, b, c, chunk, c_chunk)
        }
    }

    pub fn columns(&self) -> u32 {
        self.n + (self.bias == BIAS_COLUMN) as u32
    }

    pub fn chunks(&self) -> u32 {
        self.k.div_ceil(self.chunk.max(1)).max(1)
    }

    /// The pipeline constants.
    pub fn overrides(&self) -> Vec<(&'static str, u32)> {
        let mut o = vec![("M", self.m), ("N", self.n), ("K", self.k)];
        for (names, v) in [
            (["A_OFF", "A_AGENT", "A_ROW", "A_COL"], self.a),
            (["B_OFF", "B_AGENT", "B_ROW", "B_COL"], self.b),
            (["C_OFF", "C_AGENT", "C_ROW", "C_COL"], self.c),
            (["E_OFF", "E_AGENT", "E_ROW", "E_COL"], self.e),
        ] {
            o.extend(names.into_iter().zip(v));
        }
        o.extend([
            ("BIAS", self.bias),
            ("EPILOGUE", self.epilogue),
            ("CHUNK", self.chunk),
            ("C_CHUNK", self.c_chunk),
            ("ROWS", self.rows),
        ]);
        o
    }

    /// Workgroups along x for workgroups of `wg` invocations.
    pub fn groups_x(&self, wg: u32) -> u32 {
        self.m.div_ceil(wg * self.rows)
    }

    /// Workgroups along y: column tiles times chunks.
    pub fn groups_y(&self) -> u32 {
        self.columns().div_ceil(TILE) * self.chunks()
    }
}

/// Twin of WGSL `ReduceConfig`: out[a][w] (+)= sum_r x[a][r][w] (or its square).
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
    pub square: u32,
}

impl ReduceConfig {
    /// Sums over `rows` rows: element (r, w) of agent a at `x_off + a * x_agent + r * x_row
    /// + w`, its sum written to `out_off + a * out_agent + w`.
    pub fn new(
        rows: u32,
        x_off: u32,
        x_agent: u32,
        x_row: u32,
        out_off: u32,
        out_agent: u32,
    ) -> Self {
        ReduceConfig {
            rows,
            x_off,
            x_agent,
            x_row,
            out_off,
            out_agent,
            accumulate: 0,
            square: 0,
        }
    }
    /// Add to the output rather than overwrite it.
    pub fn accumulating(self) -> Self {
        ReduceConfig {
            accumulate: 1,
            ..self
        }
    }
    /// Sum the squares.
    pub fn squared(self) -> Self {
        ReduceConfig { square: 1, ..self }
    }
}

/// Lanes of the fixed reduction tree in `shaders/reduce.wgsl`.
pub const REDUCE_WIDTH: usize = 64;

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

/// Twin of `column_sums` over one column of `values` (squared when `square`): lane l sums
/// rows l, l + 64, ... in order, then the lanes halve in a tree.
pub fn column_sum(values: impl Iterator<Item = f32>, square: bool) -> f32 {
    let mut partial = [0.0f32; REDUCE_WIDTH];
    for (r, v) in values.enumerate() {
        partial[r % REDUCE_WIDTH] += if square { v * v } else { v };
    }
    tree_sum(&mut partial)
}
