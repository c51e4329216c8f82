//! Line plots with shaded bands, written as PNG or SVG (by the file's extension) with
//! plotters. PNGs carry their own font (an ASCII cut of DejaVu Sans, see FONT-LICENSE), so
//! they render the same on machines without fonts.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Error, Result};
use crate::files::write_atomically;

const FONT: &[u8] = include_bytes!("DejaVuSans-ascii.ttf");
const SIZE: (u32, u32) = (900, 540);

/// One line, with an optional band (x, low, high) around it.
pub struct Series {
    pub label: String,
    pub color: RGBColor,
    pub points: Vec<(f64, f64)>,
    pub band: Vec<(f64, f64, f64)>,
    pub band_label: Option<String>,
    /// Draw a marker at every point (for few points).
    pub markers: bool,
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
}

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
        register_font();
        let fail = |e: String| Error::invalid(format!("plot {}", path.display()), e);
        if path.extension().is_some_and(|e| e == "png") {
            let mut pixels = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
            {
                let root = BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area();
                self.draw(&root).map_err(fail)?;
                root.present().map_err(|e| fail(e.to_string()))?;
            }
            let mut png = Vec::new();
            let image = image::RgbImage::from_raw(SIZE.0, SIZE.1, pixels)
                .ok_or_else(|| fail("pixel buffer".into()))?;
            image::DynamicImage::ImageRgb8(image)
                .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
                .map_err(|e| fail(e.to_string()))?;
            write_atomically(path, &png)
        } else {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
                self.draw(&root).map_err(fail)?;
                root.present().map_err(|e| fail(e.to_string()))?;
            }
            write_atomically(path, svg.as_bytes())
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>
    where
        DB::ErrorType: 'static,
    {
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        root.fill(&WHITE).map_err(e)?;
        let xs = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0));
        let ys = self.series.iter().flat_map(|s| {
            let band = s.band.iter().flat_map(|b| [b.1, b.2]);
            s.points.iter().map(|p| p.1).chain(band)
        });
        let finite = |v: &f64| v.is_finite();
        let (x0, x1) = bounds(xs.filter(finite), (0.0, 1.0));
        let (y0, y1) = bounds(ys.filter(finite), (0.0, 1.0));
        let pad = ((y1 - y0) * 0.06).max(1e-6);
        let mut builder = ChartBuilder::on(root);
        builder
            .caption(&self.title, ("sans-serif", 22))
            .margin(18)
            .x_label_area_size(48)
            .y_label_area_size(72);
        let (y_lo, y_hi) = (y0 - pad, y1 + pad);
        if self.log_x {
            let (lo, hi) = (x0.max(1e-9) / 1.2, x1.max(1e-9) * 1.2);
            let mut chart = builder
                .build_cartesian_2d((lo..hi).log_scale(), y_lo..y_hi)
                .map_err(e)?;
            self.draw_series(&mut chart)?;
        } else {
            let span = (x1 - x0).max(1e-9);
            let mut chart = builder
                .build_cartesian_2d(x0..x0 + span, y_lo..y_hi)
                .map_err(e)?;
            self.draw_series(&mut chart)?;
        }
        Ok(())
    }

    /// The mesh, the bands, the lines and the legend.
    fn draw_series<'a, DB: DrawingBackend + 'a, X>(
        &self,
        chart: &mut ChartContext<'a, DB, Cartesian2d<X, plotters::coord::types::RangedCoordf64>>,
    ) -> Result<(), String>
    where
        DB::ErrorType: 'static,
        X: Ranged<ValueType = f64> + plotters::coord::ranged1d::ValueFormatter<f64>,
    {
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_label_formatter(&|x| compact(*x))
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
            chart
                .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
                .map_err(e)?
                .label(s.label.as_str())
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2))
                });
            if s.markers {
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
