//! The JSON Schema of `.github/auto-heal-config.yml`, generated from the typed model
//! ([`super::Policy`]) and its doc comments, so editors validate and complete the file
//! (`# yaml-language-server: $schema=…`, which `autoheal init` writes). The schema shipped in
//! `assets/auto-heal-config.schema.json` is this one; a test keeps them equal.

/// Where the schema is kept in the repository (and in each release's sources).
pub const SCHEMA_PATH: &str = "assets/auto-heal-config.schema.json";

/// The schema, as JSON.
pub fn schema() -> serde_json::Value {
    let mut schema =
        serde_json::to_value(schemars::schema_for!(super::Policy)).expect("a schema is JSON");
    schema["title"] = "autoheal policy (.github/auto-heal-config.yml)".into();
    schema["description"] = "What autoheal may heal in this repository, and how. Every key is \
        optional; a missing key takes the value `autoheal init` writes."
        .into();
    schema
}

/// The schema as the shipped file holds it.
pub fn schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&schema()).expect("a schema is JSON");
    text.push('\n');
    text
}

/// The line that points an editor at the schema of a release.
pub fn modeline(repository: &str, version: &str) -> String {
    format!(
        "# yaml-language-server: $schema=https://raw.githubusercontent.com/{repository}/v{version}/{SCHEMA_PATH}"
    )
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// Does `value` satisfy `schema` (the subset of JSON Schema the generator writes: `$ref`
    /// to `$defs`, `type`, `properties`, `items`, `enum`, `const`, `oneOf`, `anyOf`,
    /// `minimum`)? The errors, each with where.
    fn check(root: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
        if let Some(r) = schema["$ref"].as_str() {
            let name = r.trim_start_matches("#/$defs/");
            return check(root, &root["$defs"][name], value, at, errors);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(options) = schema[key].as_array() {
                let fits = options.iter().filter(|o| {
                    let mut e = Vec::new();
                    check(root, o, value, at, &mut e);
                    e.is_empty()
                });
                if fits.count() == 0 {
                    errors.push(format!("{at}: {value} fits none of {key}"));
                }
            }
        }
        if let Some(c) = schema.get("const")
            && c != value
        {
            errors.push(format!("{at}: {value} is not {c}"));
        }
        if let Some(options) = schema["enum"].as_array()
            && !options.contains(value)
        {
            errors.push(format!("{at}: {value} is not one of {options:?}"));
        }
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let is = |t: &str| match t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => true,
        };
        if !types.is_empty() && !types.iter().any(|t| is(t)) {
            errors.push(format!("{at}: {value} is not {types:?}"));
            return;
        }
        if let (Some(min), Some(n)) = (schema["minimum"].as_f64(), value.as_f64())
            && n < min
        {
            errors.push(format!("{at}: {n} is below {min}"));
        }
        if let (Some(props), Some(obj)) = (schema["properties"].as_object(), value.as_object()) {
            for (k, v) in obj {
                if let Some(s) = props.get(k) {
                    check(root, s, v, &format!("{at}.{k}"), errors);
                }
            }
            for req in schema["required"].as_array().into_iter().flatten() {
                if let Some(req) = req.as_str()
                    && !obj.contains_key(req)
                {
                    errors.push(format!("{at}.{req}: missing"));
                }
            }
        }
        if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
            for (i, v) in arr.iter().enumerate() {
                check(root, items, v, &format!("{at}[{i}]"), errors);
            }
        }
    }

    fn errors(yaml: &str) -> Vec<String> {
        let value: Value = serde_yaml::from_str::<Value>(yaml).unwrap_or(Value::Null);
        let value = if value.is_null() {
            Value::Object(Default::default())
        } else {
            value
        };
        let root = schema();
        let mut errors = Vec::new();
        check(&root, &root, &value, "$", &mut errors);
        errors
    }

    #[test]
    fn the_shipped_schema_is_the_generated_one() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SCHEMA_PATH);
        let generated = schema_text();
        if std::env::var_os("AUTOHEAL_BLESS").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let shipped = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            shipped == generated,
            "{SCHEMA_PATH} is out of date: run `AUTOHEAL_BLESS=1 cargo test --lib schema`"
        );
    }

    #[test]
    fn every_key_is_described() {
        fn walk(schema: &Value, at: &str, missing: &mut Vec<String>) {
            if let Some(props) = schema["properties"].as_object() {
                for (k, v) in props {
                    let described = v["description"].is_string() || v["$ref"].is_string();
                    if !described {
                        missing.push(format!("{at}.{k}"));
                    }
                }
            }
        }
        let root = schema();
        let mut missing = Vec::new();
        walk(&root, "$", &mut missing);
        for (name, def) in root["$defs"].as_object().into_iter().flatten() {
            walk(def, name, &mut missing);
        }
        assert!(
            missing.is_empty(),
            "keys without a doc comment: {missing:?}"
        );
    }

    #[test]
    fn the_schema_accepts_what_the_loader_accepts_and_rejects_what_it_rejects() {
        let valid = [
            include_str!("../../assets/init/auto-heal-config.yml"),
            "",
            "enabled: false\n",
            "monitored_workflows: [\"CI\", \"Release*\"]\ncopilot:\n  mode: task\n  model: gpt-5\n",
            "failure_patterns:\n  - pattern: \"ENOSPC\"\n    suggestion: \"Free disk\"\n    category: resources\n    recommendation: rerun\n",
            "security:\n  trusted_branches: [\"*\"]\n  allow_forks: true\nrerun:\n  enabled: false\n  max_attempts: 2\n",
        ];
        for yaml in valid {
            assert!(
                crate::config::parse_policy(yaml.as_bytes(), "t.yml").is_ok(),
                "{yaml}"
            );
            assert_eq!(errors(yaml), Vec::<String>::new(), "{yaml}");
        }
        let invalid = [
            "enabled: \"sometimes\"\n",
            "max_heal_attempts_per_day: -1\n",
            "copilot:\n  mode: telepathy\n",
            "monitored_workflows: CI\n",
            "failure_patterns:\n  - suggestion: \"no pattern\"\n",
            "rerun:\n  max_attempts: many\n",
            "copilot:\n  temperature: hot\n",
        ];
        for yaml in invalid {
            assert!(
                crate::config::parse_policy(yaml.as_bytes(), "t.yml").is_err(),
                "{yaml}"
            );
            assert!(!errors(yaml).is_empty(), "the schema accepts {yaml}");
        }
    }
}
