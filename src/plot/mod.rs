//! Line plots with shaded bands, written as PNG or SVG (by the file's extension) with
//! plotters. PNGs carry their own font (an ASCII cut of DejaVu Sans, see FONT-LICENSE), so
//! they render the same on machines without fonts.

use std::path::Path;
use std::sync::Once;

use plotters::coord::combinators::LogCoord;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Error, Result};
use crate::files::write_atomically;

const FONT: &[u8] = include_bytes!("DejaVuSans-ascii.ttf");
const SIZE: (u32, u32) = (900, 540);
/// Height of each panel of a stacked figure.
const PANEL_HEIGHT: u32 = 340;
/// Ticks per axis to aim for.
const TICKS: usize = 8;

/// One line, with an optional band (x, low, high) around it.
pub struct Series {
    pub label: String,
    pub color: RGBColor,
    pub points: Vec<(f64, f64)>,
    pub band: Vec<(f64, f64, f64)>,
    pub band_label: Option<String>,
    /// Draw a marker at every point (for few points).
    pub markers: bool,
    /// Join the points with a line (else hollow markers alone).
    pub line: bool,
}

impl Series {
    pub fn line(label: impl Into<String>, color: RGBColor, points: Vec<(f64, f64)>) -> Series {
        Series {
            label: label.into(),
            color,
            points,
            band: Vec::new(),
            band_label: None,
            markers: false,
            line: true,
        }
    }

    /// Hollow markers without a line, e.g. to flag points that rest on few samples.
    pub fn points(label: impl Into<String>, color: RGBColor, points: Vec<(f64, f64)>) -> Series {
        Series {
            line: false,
            ..Series::line(label, color, points)
        }
    }

    pub fn with_band(mut self, label: impl Into<String>, band: Vec<(f64, f64, f64)>) -> Series {
        self.band = band;
        self.band_label = Some(label.into());
        self
    }

    pub fn with_markers(mut self) -> Series {
        self.markers = true;
        self
    }
}

pub struct Figure {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// Use a log scale on x.
    pub log_x: bool,
    /// x takes whole values only (generations, lifetimes): ticks at whole numbers.
    pub integer_x: bool,
}

/// A neutral colour for context (e.g. the spread of a band behind coloured ones).
pub const GREY: RGBColor = RGBColor(128, 128, 128);

/// Colours for up to four series.
pub const PALETTE: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

/// Make the bundled font plotters' "sans-serif" (once per process).
pub fn register_font() {
    static FONT_ONCE: Once = Once::new();
    FONT_ONCE.call_once(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
            .unwrap_or_else(|_| panic!("the bundled font parses"));
    });
}

impl Figure {
    /// Write to `path`: PNG if it ends in `.png`, else SVG. Atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        write_stacked(path, std::slice::from_ref(self))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>
    where
        DB::ErrorType: 'static,
    {
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        let xs: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .filter(|v| v.is_finite())
            .collect();
        let ys = self.series.iter().flat_map(|s| {
            let band = s.band.iter().flat_map(|b| [b.1, b.2]);
            s.points.iter().map(|p| p.1).chain(band)
        });
        let (y0, y1) = widen(bounds(ys.filter(|v| v.is_finite()), (0.0, 1.0)));
        let pad = (y1 - y0) * 0.06;
        let y_axis = Axis::linear(y0 - pad, y1 + pad, false);
        let mut builder = ChartBuilder::on(root);
        builder
            .caption(&self.title, ("sans-serif", 20))
            .margin(18)
            .x_label_area_size(48)
            .y_label_area_size(72);
        let y_range = Ticked::new(RangedCoordf64::from(y_axis.lo..y_axis.hi), &y_axis);
        if self.log_x {
            let x_axis = Axis::log(&xs, self.integer_x);
            let log: LogCoord<f64> = (x_axis.lo..x_axis.hi).log_scale().into();
            let x_range = Ticked::new(log, &x_axis);
            let mut chart = builder.build_cartesian_2d(x_range, y_range).map_err(e)?;
            self.draw_series(&mut chart, &x_axis, &y_axis)?;
        } else {
            let (x0, x1) = widen(bounds(xs.iter().copied(), (0.0, 1.0)));
            let x_axis = Axis::linear(x0, x1, self.integer_x);
            let x_range = Ticked::new(RangedCoordf64::from(x_axis.lo..x_axis.hi), &x_axis);
            let mut chart = builder.build_cartesian_2d(x_range, y_range).map_err(e)?;
            self.draw_series(&mut chart, &x_axis, &y_axis)?;
        }
        Ok(())
    }

    /// The mesh, the bands, the lines and the legend.
    fn draw_series<'a, DB: DrawingBackend + 'a, X, Y>(
        &self,
        chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
        x_axis: &Axis,
        y_axis: &Axis,
    ) -> Result<(), String>
    where
        DB::ErrorType: 'static,
        X: Ranged<ValueType = f64> + plotters::coord::ranged1d::ValueFormatter<f64>,
        Y: Ranged<ValueType = f64> + plotters::coord::ranged1d::ValueFormatter<f64>,
    {
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_label_formatter(&|x| x_axis.label(*x))
            .y_label_formatter(&|y| y_axis.label(*y))
            .draw()
            .map_err(e)?;
        for s in &self.series {
            if let (false, Some(label)) = (s.band.is_empty(), &s.band_label) {
                let mut poly: Vec<(f64, f64)> = s.band.iter().map(|b| (b.0, b.2)).collect();
                poly.extend(s.band.iter().rev().map(|b| (b.0, b.1)));
                let fill = s.color.mix(0.18);
                chart
                    .draw_series(std::iter::once(Polygon::new(poly, fill)))
                    .map_err(e)?
                    .label(label.as_str())
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 16, y + 5)], fill.filled())
                    });
            }
            let color = s.color;
            let points: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|p| p.1.is_finite())
                .collect();
            if points.is_empty() {
                continue;
            }
            if !s.line {
                // Markers alone: hollow circles (points a line would overstate).
                chart
                    .draw_series(
                        points
                            .iter()
                            .map(|&p| Circle::new(p, 5, color.stroke_width(2))),
                    )
                    .map_err(e)?
                    .label(s.label.as_str())
                    .legend(move |(x, y)| Circle::new((x + 8, y), 5, color.stroke_width(2)));
                continue;
            }
            let series = chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                .map_err(e)?;
            if !s.label.is_empty() {
                series.label(s.label.as_str()).legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2))
                });
            }
            // A single point draws no line: mark it.
            if s.markers || points.len() == 1 {
                chart
                    .draw_series(points.iter().map(|&p| Circle::new(p, 4, color.filled())))
                    .map_err(e)?;
            }
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(e)
    }
}

/// Figures stacked top to bottom in one image, written to `path` (PNG if it ends in
/// `.png`, else SVG), atomically.
pub fn write_stacked(path: &Path, figures: &[Figure]) -> Result<()> {
    register_font();
    let fail = |e: String| Error::invalid(format!("plot {}", path.display()), e);
    let height = match figures.len() {
        0 | 1 => SIZE.1,
        n => PANEL_HEIGHT * n as u32,
    };
    let size = (SIZE.0, height);
    if path.extension().is_some_and(|e| e == "png") {
        let mut pixels = vec![0u8; (size.0 * size.1 * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
            draw_on(&root, figures).map_err(fail)?;
        }
        let mut png = Vec::new();
        let image = image::RgbImage::from_raw(size.0, size.1, pixels)
            .ok_or_else(|| fail("pixel buffer".into()))?;
        image::DynamicImage::ImageRgb8(image)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .map_err(|e| fail(e.to_string()))?;
        write_atomically(path, &png)
    } else {
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
            draw_on(&root, figures).map_err(fail)?;
        }
        write_atomically(path, svg.as_bytes())
    }
}

fn draw_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    figures: &[Figure],
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let panels = root.split_evenly((figures.len().max(1), 1));
    for (figure, panel) in figures.iter().zip(&panels) {
        figure.draw(panel)?;
    }
    root.present().map_err(|e| e.to_string())
}

/// A coordinate with its ticks at an [`Axis`]'s values rather than plotters' choice.
struct Ticked<R> {
    inner: R,
    ticks: Vec<f64>,
}

impl<R> Ticked<R> {
    fn new(inner: R, axis: &Axis) -> Ticked<R> {
        Ticked {
            inner,
            ticks: axis.ticks.clone(),
        }
    }
}

impl<R: Ranged<ValueType = f64>> Ranged for Ticked<R> {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, _: Hint) -> Vec<f64> {
        self.ticks.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

/// One axis: its range and the values that get a tick and a label.
struct Axis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    /// Distance between neighbouring ticks (labels show the digits it needs).
    step: f64,
}

impl Axis {
    /// Ticks at multiples of 1, 2 or 5 times a power of ten (whole numbers if `integer`),
    /// about [`TICKS`] of them, spanning `lo..hi`.
    fn linear(lo: f64, hi: f64, integer: bool) -> Axis {
        let raw = (hi - lo) / TICKS as f64;
        let magnitude = 10f64.powf(raw.log10().floor());
        let mut step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * magnitude)
            .find(|s| *s >= raw)
            .unwrap_or(10.0 * magnitude);
        if integer {
            step = step.max(1.0).round();
        }
        let first = (lo / step).ceil() as i64;
        let last = (hi / step).floor() as i64;
        let ticks = (first..=last).map(|k| k as f64 * step).collect();
        Axis {
            lo,
            hi,
            ticks,
            step,
        }
    }

    /// A log axis over positive `values`: a tick at each distinct value when there are
    /// few, else at 1, 2 and 5 times each power of ten in range.
    fn log(values: &[f64], integer: bool) -> Axis {
        let mut distinct: Vec<f64> = values.iter().copied().filter(|v| *v > 0.0).collect();
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        let (lo, hi) = match (distinct.first(), distinct.last()) {
            (Some(lo), Some(hi)) => (*lo, *hi),
            _ => (1.0, 10.0),
        };
        let (lo, hi) = (lo / 1.25, hi * 1.25);
        let ticks = if (1..=TICKS + 4).contains(&distinct.len()) {
            distinct
        } else {
            let decades = lo.log10().floor() as i32..=hi.log10().ceil() as i32;
            decades
                .flat_map(|d| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(d)))
                .filter(|t| (lo..=hi).contains(t) && (!integer || t.fract() == 0.0))
                .collect()
        };
        // Labels of a log axis need the digits of its smallest tick.
        let step = ticks.first().copied().unwrap_or(1.0);
        Axis {
            lo,
            hi,
            ticks,
            step,
        }
    }

    /// A tick's label: as many decimals as the step needs, no `-0`, large values compact.
    fn label(&self, v: f64) -> String {
        let v = if v.abs() < self.step * 1e-6 { 0.0 } else { v };
        if v.abs() >= 1e4 {
            return compact(v);
        }
        let decimals = (-self.step.abs().log10().floor()).clamp(0.0, 6.0) as usize;
        let decimals = if self.step.fract() == 0.0 {
            0
        } else {
            decimals.max(1)
        };
        format!("{v:.decimals$}")
    }
}

/// A range of positive width: a single value (or equal ones) gets room around it, so that
/// its ticks differ.
fn widen((lo, hi): (f64, f64)) -> (f64, f64) {
    let scale = lo.abs().max(hi.abs());
    if hi - lo > scale * 1e-6 {
        return (lo, hi);
    }
    let room = if scale > 0.0 { scale * 0.1 } else { 1.0 };
    (lo - room, hi + room)
}

/// 1500 -> "1.5k", 2000000 -> "2M", 12 -> "12", 0.25 -> "0.25".
fn compact(v: f64) -> String {
    let a = v.abs();
    let (scaled, suffix) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let text = format!("{scaled:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}{suffix}")
}

fn bounds(values: impl Iterator<Item = f64>, empty: (f64, f64)) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if lo.is_finite() {
        (lo, hi)
    } else {
        empty
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(axis: &Axis) -> Vec<String> {
        axis.ticks.iter().map(|t| axis.label(*t)).collect()
    }

    fn distinct(labels: &[String]) -> bool {
        let mut sorted = labels.to_vec();
        sorted.sort();
        sorted.dedup();
        sorted.len() == labels.len()
    }

    #[test]
    fn a_single_value_gets_distinct_ticks() {
        for v in [0.0, 1.0, -0.25, 1e6, 3e-5] {
            let (lo, hi) = widen((v, v));
            let axis = Axis::linear(lo, hi, false);
            let l = labels(&axis);
            assert!(axis.ticks.len() >= 3, "{v}: {l:?}");
            assert!(distinct(&l), "{v}: {l:?}");
        }
    }

    #[test]
    fn integer_axes_have_whole_ticks_and_no_negative_zero() {
        let axis = Axis::linear(-0.3, 3.2, true);
        assert!(
            axis.ticks.iter().all(|t| t.fract() == 0.0),
            "{:?}",
            axis.ticks
        );
        let l = labels(&axis);
        assert_eq!(l, ["0", "1", "2", "3"]);
        let axis = Axis::linear(-1.0, 1.0, false);
        assert!(labels(&axis).iter().all(|l| l != "-0.0" && l != "-0"));
    }

    #[test]
    fn log_axes_label_every_value_when_few() {
        let lifetimes = [2.0, 8.0, 32.0];
        assert_eq!(Axis::log(&lifetimes, true).ticks, lifetimes);
        let sixteen: Vec<f64> = (1..=16).map(f64::from).collect();
        let axis = Axis::log(&sixteen, true);
        assert!(axis.ticks.contains(&10.0) && axis.ticks.iter().any(|t| *t > 10.0));
        assert!(axis.ticks.iter().all(|t| t.fract() == 0.0));
    }

    #[test]
    fn degenerate_figures_still_draw() {
        let dir = std::env::temp_dir().join(format!("wgym-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cases: [(&str, Vec<(f64, f64)>); 4] = [
            ("empty", vec![]),
            ("one", vec![(100.0, 0.5)]),
            ("flat", vec![(1.0, 2.0), (2.0, 2.0), (3.0, 2.0)]),
            ("nan", vec![(1.0, f64::NAN), (2.0, f64::NAN)]),
        ];
        for (name, points) in cases {
            for log_x in [false, true] {
                let path = dir.join(format!("{name}-{log_x}.png"));
                Figure {
                    title: name.into(),
                    x_label: "x".into(),
                    y_label: "y".into(),
                    series: vec![Series::line("s", PALETTE[0], points.clone())],
                    log_x,
                    integer_x: true,
                }
                .write(&path)
                .unwrap();
                assert!(std::fs::metadata(&path).unwrap().len() > 1000);
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
