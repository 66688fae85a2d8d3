//! Structured JSON log lines. Callers pass fields; never a secret.

use serde_json::{Map, Value};

use crate::platform::Level;

pub fn line(level: Level, msg: &str, fields: Value) -> String {
    let mut m = Map::new();
    m.insert("level".into(), Value::from(level.as_str()));
    m.insert("msg".into(), Value::from(msg));
    if let Value::Object(f) = fields {
        m.extend(f);
    }
    Value::Object(m).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_one_json_object() {
        let l = line(Level::Warn, "x", serde_json::json!({"a": "b\nc"}));
        assert!(!l.contains('\n'));
        let v: Value = serde_json::from_str(&l).unwrap();
        assert_eq!(v["level"], "warn");
        assert_eq!(v["a"], "b\nc");
    }
}
