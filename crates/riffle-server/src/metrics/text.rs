//! A few lines of Prometheus text exposition for metrics computed at scrape time (disk usage,
//! the process), which the recorder would otherwise keep reporting after they are gone.

use std::fmt::Write;

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Counter,
    Gauge,
}

/// One metric family: its HELP and TYPE lines, then samples.
pub struct Family<'a> {
    out: &'a mut String,
    name: &'static str,
}

impl<'a> Family<'a> {
    pub fn new(out: &'a mut String, name: &'static str, kind: Kind, help: &str) -> Self {
        let kind = match kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
        };
        let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n");
        Self { out, name }
    }

    pub fn sample(&mut self, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(self.name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape(v));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }
}

/// Label values escape backslash, double quote and newline.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_render_as_exposition_text() {
        let mut out = String::new();
        let mut f = Family::new(&mut out, "x_bytes", Kind::Gauge, "Bytes of x");
        f.sample(&[("StreamName", "a\"b")], 3.0);
        f.sample(&[], 0.5);
        assert_eq!(
            out,
            "# HELP x_bytes Bytes of x\n# TYPE x_bytes gauge\nx_bytes{StreamName=\"a\\\"b\"} 3\nx_bytes 0.5\n"
        );
    }
}
