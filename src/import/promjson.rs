//! The Prometheus HTTP API's `query_range` response, as `curl
//! …/api/v1/query_range` and `promtool query range -o json` print it:
//! `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{…},
//! "values":[[<unix s>,"<value>"],…]}]}}`
//! (<https://prometheus.io/docs/prometheus/latest/querying/api/#range-queries>).
//! Values are strings so that `NaN` and `±Inf` survive JSON; we keep them as
//! `f64` and let the caller decide what a `NaN` means.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{problem, problem_at};
use crate::error::Error;

/// One time series of a range query: its labels and its points.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The series' labels (`__name__` included when the query kept it).
    pub labels: BTreeMap<String, String>,
    /// `(unix seconds, value)`, in time order.
    pub points: Vec<(f64, f64)>,
}

#[derive(Deserialize)]
struct Response {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct RawSeries {
    metric: BTreeMap<String, String>,
    values: Vec<(f64, String)>,
}

/// Parses one `query_range` response.
pub fn parse(path: &Path, text: &str) -> Result<Vec<Series>, Error> {
    let fix_export = "export it with GET /api/v1/query_range (or `promtool query range -o json`)";
    let response: Response = serde_json::from_str(text).map_err(|e| {
        problem_at(path, Some(e.line()), None, format!("not a Prometheus API response: {e}"), Some(fix_export.into()))
    })?;
    if response.status != "success" {
        return Err(problem(
            path,
            None,
            format!(
                "the query failed: status '{}', {} '{}'",
                response.status,
                response.error_type.as_deref().unwrap_or("error"),
                response.error.as_deref().unwrap_or("")
            ),
            Some("fix the query and export it again".into()),
        ));
    }
    let Some(data) = response.data else {
        return Err(problem(path, None, "no 'data' in a successful response".into(), Some(fix_export.into())));
    };
    if data.result_type != "matrix" {
        let hint = match data.result_type.as_str() {
            "vector" | "scalar" => {
                "this is an instant query (/api/v1/query); export a range: /api/v1/query_range with start, end and step"
            }
            _ => fix_export,
        };
        return Err(problem(
            path,
            Some("data.resultType"),
            format!("result type '{}', expected 'matrix'", data.result_type),
            Some(hint.into()),
        ));
    }
    let raw: Vec<RawSeries> = serde_json::from_value(data.result)
        .map_err(|e| problem(path, Some("data.result"), format!("malformed matrix: {e}"), Some(fix_export.into())))?;
    let mut out = Vec::with_capacity(raw.len());
    for (i, s) in raw.into_iter().enumerate() {
        let mut points = Vec::with_capacity(s.values.len());
        for (j, (t, v)) in s.values.into_iter().enumerate() {
            let value = match v.as_str() {
                "NaN" => f64::NAN,
                "+Inf" | "Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                other => other.parse::<f64>().map_err(|_| {
                    problem(
                        path,
                        Some(&format!("data.result[{i}].values[{j}]")),
                        format!("value '{other}' is not a number"),
                        None,
                    )
                })?,
            };
            if points.last().is_some_and(|&(last, _)| t <= last) {
                return Err(problem(
                    path,
                    Some(&format!("data.result[{i}].values[{j}]")),
                    format!("timestamp '{t}' is not after the one before it"),
                    Some("points of a series must be in time order, as Prometheus returns them".into()),
                ));
            }
            points.push((t, value));
        }
        out.push(Series { labels: s.metric, points });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Vec<Series>, String> {
        parse(Path::new("q.json"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_a_matrix_with_nan() {
        let s = p(r#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"instance":"a"},"values":[[10,"1.5"],[11,"NaN"]]}]}}"#)
        .unwrap();
        assert_eq!(s[0].labels["instance"], "a");
        assert_eq!(s[0].points[0], (10.0, 1.5));
        assert!(s[0].points[1].1.is_nan());
    }

    #[test]
    fn refuses_an_instant_vector() {
        let e = p(r#"{"status":"success","data":{"resultType":"vector","result":[]}}"#).unwrap_err();
        assert!(e.contains("q.json: data.resultType: result type 'vector', expected 'matrix'"), "{e}");
        assert!(e.contains("query_range"), "{e}");
    }

    #[test]
    fn reports_a_failed_query() {
        let e = p(r#"{"status":"error","errorType":"bad_data","error":"parse error"}"#).unwrap_err();
        assert!(e.contains("bad_data 'parse error'"), "{e}");
    }

    #[test]
    fn names_the_line_of_broken_json() {
        let e = p("{\n\"status\": }").unwrap_err();
        assert!(e.contains("q.json:2: not a Prometheus API response"), "{e}");
    }
}
