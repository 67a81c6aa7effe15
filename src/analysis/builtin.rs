//! The built-in catalog and the literals of the built-in patterns and shapes, as the build
//! script derived them from `assets/patterns.yml` and `shapes.rs` (see `build.rs`): a process
//! starts with them ready instead of reading YAML and parsing hundreds of regexes.

/// A pattern of `assets/patterns.yml`.
#[derive(Debug)]
pub struct BuiltinPattern {
    pub id: &'static str,
    pub category: &'static str,
    pub regex: &'static str,
    pub suggestion: &'static str,
    pub recommendation: Option<&'static str>,
    pub examples: &'static [&'static str],
    pub subjects: &'static [&'static str],
    pub counter_examples: &'static [&'static str],
    /// The literals one of which every match contains; `None` when there is no useful set.
    pub literals: Option<&'static [&'static [u8]]>,
}

include!(concat!(env!("OUT_DIR"), "/builtin_catalog.rs"));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{literals, shapes};

    #[test]
    fn the_build_scripts_literals_are_what_the_extraction_gives_now() {
        let same = |pattern: &str, built: Option<&[&[u8]]>| {
            let now = literals::required(pattern, literals::MIN_LITERAL);
            let built = built.map(|set| set.iter().map(|l| l.to_vec()).collect::<Vec<_>>());
            assert_eq!(now, built, "{pattern}");
        };
        for p in PATTERNS {
            same(p.regex, p.literals);
        }
        assert_eq!(SHAPE_LITERALS.len(), shapes::SHAPES.len());
        for (shape, built) in shapes::SHAPES.iter().zip(SHAPE_LITERALS) {
            same(shape.regex, *built);
        }
    }
}
