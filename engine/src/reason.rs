//! Why something was refused, told twice: in English (logs, tools, the API's `message`) and in
//! Chinese 原因 for the street office's staff who read the import report, the problem list and
//! the edit form. Every [`crate::Problem`] and every refusal that becomes one carries a
//! [`Reason`], so no message can reach a user in English only.
//!
//! The Chinese says the same as the English, not a word-for-word copy: values, names, codes,
//! row numbers and suggestions appear exactly as in the English text; quoted values take Chinese
//! quotation marks (“约30户”), fields their Chinese labels.

use std::fmt;

/// A reason in English and Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub en: String,
    pub zh: String,
}

impl Reason {
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> Self {
        Reason {
            en: en.into(),
            zh: zh.into(),
        }
    }

    /// The same reason after a prefix in each language (`the .prj: ` / `.prj 文件：`).
    #[must_use]
    pub fn prefixed(self, en: &str, zh: &str) -> Self {
        Reason {
            en: format!("{en}{}", self.en),
            zh: format!("{zh}{}", self.zh),
        }
    }

    /// Several reasons as one, in order (`; ` in English, `；` in Chinese).
    pub fn joined(reasons: &[Reason]) -> Reason {
        let en: Vec<&str> = reasons.iter().map(|r| r.en.as_str()).collect();
        let zh: Vec<&str> = reasons.iter().map(|r| r.zh.as_str()).collect();
        Reason::new(en.join("; "), zh.join("；"))
    }
}

/// The English text.
impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}

/// A value as Chinese text quotes it: “约30户”.
pub fn quoted(text: &str) -> String {
    format!("“{text}”")
}

/// Items as a Chinese list: `a、b、c`.
pub fn listed<T: fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join("、")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_joins_keep_the_languages_apart() {
        let r = Reason::new("not closed", "未闭合").prefixed("exterior ring ", "外环");
        assert_eq!(r.to_string(), "exterior ring not closed");
        assert_eq!(r.zh, "外环未闭合");
        let both = Reason::joined(&[r, Reason::new("missing", "未填写")]);
        assert_eq!(both.en, "exterior ring not closed; missing");
        assert_eq!(both.zh, "外环未闭合；未填写");
        assert_eq!(quoted("约30户"), "“约30户”");
        assert_eq!(listed(["户数", "常住人口"]), "户数、常住人口");
    }
}
