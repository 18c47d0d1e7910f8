//! What the types of an assignment file cannot say, checked once it is read.

use super::{Assignment, Find};

impl Assignment {
    /// What the types cannot say: where in the file the mistake is (words to find in turn,
    /// each after the one before: the scenario's name, then its key), and the sentence.
    pub(super) fn validate(&self) -> Result<(), (Vec<String>, String)> {
        if self.scenarios.is_empty() {
            return Err((Vec::new(), "the assignment has no [[scenario]]".into()));
        }
        if let Some(f) = self.program.files.iter().find(|f| !f.is_inside()) {
            return Err((
                vec!["files".into(), format!("\"{}\"", f.name())],
                format!("`{}` is not a file of the submission's folder: name it from there, without `..` (\"keyfile\", \"data/in.txt\")", f.name()),
            ));
        }
        let mut names = std::collections::BTreeSet::new();
        for s in &self.scenarios {
            let name = format!("\"{}\"", s.name);
            if !names.insert(&s.name) {
                return Err((
                    vec![name.clone(), name],
                    format!("two scenarios are named `{}`: names must differ", s.name),
                ));
            }
            if s.runs.is_empty() {
                return Err((
                    vec![name],
                    format!("scenario `{}` has no [[scenario.run]]", s.name),
                ));
            }
            if !s.setup.is_empty() && self.segment.find == Find::Created {
                return Err((
                    vec![name, "setup".into()],
                    format!("scenario `{}` sets up a segment, but with find = \"created\" the checker cannot know the key a submission will use (each picks its own, and ftok's depends on the folder it runs in): let the scenario's first run create the segment, or fix the key (find = \"key\") or pass it (find = \"argument\")", s.name),
                ));
            }
        }
        match (self.segment.find, &self.segment.key) {
            (Find::Key, None) => Err((
                vec!["find".into()],
                "find = \"key\" needs the key: key = \"0x1234\"".into(),
            )),
            (Find::Key, Some(k)) if self.fixed_key().is_none() => Err((
                vec![k.clone()],
                format!("`{k}` is not a key: write it in hex (0x1234) or decimal"),
            )),
            (Find::Key, Some(_)) if self.fixed_key() == Some(0) => Err((
                vec!["key".into()],
                "key 0 is IPC_PRIVATE, which no second run can find: choose another key".into(),
            )),
            _ => Ok(()),
        }
    }

    /// The fixed key, with `find = "key"`.
    pub fn fixed_key(&self) -> Option<i32> {
        let k = self.segment.key.as_deref()?.trim();
        let v = match k.strip_prefix("0x").or_else(|| k.strip_prefix("0X")) {
            Some(hex) => u32::from_str_radix(hex, 16).ok().map(|v| v as i32),
            None => k.parse::<i64>().ok().map(|v| v as i32),
        };
        v
    }
}
