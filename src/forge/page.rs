//! A page of a list as GitHub wraps it (`{"total_count": 2, "workflow_runs": [...]}`), decoded
//! without the rest: only the named array, straight into its items.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};

/// The items of the array under `key` in the JSON object `body`; an object without it has
/// none.
pub fn items<T: DeserializeOwned>(body: &[u8], key: &str) -> serde_json::Result<Vec<T>> {
    let mut reader = serde_json::Deserializer::from_slice(body);
    let items = Field {
        key,
        item: PhantomData,
    }
    .deserialize(&mut reader)?;
    reader.end()?;
    Ok(items)
}

struct Field<'k, T> {
    key: &'k str,
    item: PhantomData<T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for Field<'_, T> {
    type Value = Vec<T>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for Field<'_, T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an object holding `{}`", self.key)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<T>, A::Error> {
        let mut items = None;
        while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if name == self.key && items.is_none() {
                items = Some(map.next_value::<Vec<T>>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(items.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_named_array_is_decoded() {
        let body =
            br#"{"total_count": 2, "other": [{"x": 1}], "jobs": [1, 2], "more": {"a": [3]}}"#;
        assert_eq!(items::<u32>(body, "jobs").unwrap(), [1, 2]);
        assert_eq!(items::<u32>(body, "absent").unwrap(), Vec::<u32>::new());
        // Not what was expected (asking again will not help) apart from cut short (it may).
        assert!(
            items::<u32>(br#"{"jobs": ["x"]}"#, "jobs")
                .unwrap_err()
                .is_data()
        );
        assert!(items::<u32>(br#"[1, 2]"#, "jobs").unwrap_err().is_data());
        assert!(
            items::<u32>(br#"{"jobs": [1]"#, "jobs")
                .unwrap_err()
                .is_eof()
        );
    }
}
