//! A WKT1 reader (OGC 01-009 syntax, as `.prj` files hold it): nodes `NAME[arg, …]` or
//! `NAME(arg, …)` whose arguments are quoted strings, numbers, bare words or nodes.

use crate::Reason;

/// One node of a WKT1 tree.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    /// Upper-cased keyword (`PROJCS`, `PARAMETER`, …).
    pub keyword: String,
    pub args: Vec<Arg>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Arg {
    Text(String),
    Number(f64),
    /// An unquoted word such as `NORTH` or `EAST`.
    Word(String),
    Node(Node),
}

impl Node {
    /// The first argument when it is a string: the node's name.
    pub fn name(&self) -> Option<&str> {
        match self.args.first() {
            Some(Arg::Text(s)) => Some(s),
            _ => None,
        }
    }

    /// The `i`-th argument when it is a number.
    pub fn number(&self, i: usize) -> Option<f64> {
        match self.args.get(i) {
            Some(Arg::Number(n)) => Some(*n),
            _ => None,
        }
    }

    /// The child nodes with this keyword.
    pub fn children<'a>(&'a self, keyword: &'a str) -> impl Iterator<Item = &'a Node> {
        self.args.iter().filter_map(move |a| match a {
            Arg::Node(n) if n.keyword == keyword => Some(n),
            _ => None,
        })
    }

    pub fn child<'a>(&'a self, keyword: &'a str) -> Option<&'a Node> {
        self.children(keyword).next()
    }
}

/// Parses one WKT1 node (surrounding whitespace and a byte-order mark allowed).
pub(super) fn parse(text: &str) -> Result<Node, Reason> {
    let mut p = Parser {
        s: text.trim_start_matches('\u{feff}').as_bytes(),
        i: 0,
    };
    let node = p.node()?;
    p.skip_space();
    if p.i < p.s.len() {
        return Err(Reason::new(
            format!("unexpected text after the WKT at byte {}", p.i),
            format!("WKT 结束后还有多余的文字（第 {} 字节）", p.i),
        ));
    }
    Ok(node)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.s.get(self.i).copied()
    }

    fn word(&mut self) -> String {
        self.skip_space();
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn node(&mut self) -> Result<Node, Reason> {
        let keyword = self.word().to_ascii_uppercase();
        if keyword.is_empty() {
            return Err(Reason::new(
                format!("expected a WKT keyword at byte {}", self.i),
                format!("第 {} 字节处应为 WKT 关键字", self.i),
            ));
        }
        let close = match self.peek() {
            Some(b'[') => b']',
            Some(b'(') => b')',
            _ => {
                return Err(Reason::new(
                    format!("expected [ after {keyword} at byte {}", self.i),
                    format!("{keyword} 后面应为 [（第 {} 字节）", self.i),
                ))
            }
        };
        self.i += 1;
        let mut args = Vec::new();
        loop {
            args.push(self.arg()?);
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b) if b == close => {
                    self.i += 1;
                    return Ok(Node { keyword, args });
                }
                _ => {
                    return Err(Reason::new(
                        format!(
                            "expected , or {} in {keyword} at byte {}",
                            close as char, self.i
                        ),
                        format!(
                            "{keyword} 中第 {} 字节处应为 , 或 {}",
                            self.i, close as char
                        ),
                    ))
                }
            }
        }
    }

    fn arg(&mut self) -> Result<Arg, Reason> {
        match self.peek() {
            Some(b'"') => self.text().map(Arg::Text),
            Some(b) if b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.') => self.number(),
            Some(b) if b.is_ascii_alphabetic() => {
                let save = self.i;
                let word = self.word();
                if matches!(self.peek(), Some(b'[' | b'(')) {
                    self.i = save;
                    self.node().map(Arg::Node)
                } else {
                    Ok(Arg::Word(word))
                }
            }
            _ => Err(Reason::new(
                format!("unexpected character at byte {}", self.i),
                format!("第 {} 字节处有意外的字符", self.i),
            )),
        }
    }

    /// A quoted string; `""` inside is one quote.
    fn text(&mut self) -> Result<String, Reason> {
        let mut out = Vec::new();
        self.i += 1;
        loop {
            match self.s.get(self.i) {
                None => return Err(Reason::new("unterminated string", "引号没有闭合")),
                Some(b'"') if self.s.get(self.i + 1) == Some(&b'"') => {
                    out.push(b'"');
                    self.i += 2;
                }
                Some(b'"') => {
                    self.i += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                Some(&b) => {
                    out.push(b);
                    self.i += 1;
                }
            }
        }
    }

    fn number(&mut self) -> Result<Arg, Reason> {
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            self.i += 1;
        }
        let text = String::from_utf8_lossy(&self.s[start..self.i]);
        text.parse().map(Arg::Number).map_err(|_| {
            Reason::new(
                format!("bad number {text} at byte {start}"),
                format!("第 {start} 字节处的数字 {text} 无效"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_nodes_strings_numbers_and_words() {
        let node = parse(
            "\u{feff} PROJCS[\"a \"\"b\"\"\",GEOGCS(\"g\",UNIT[\"degree\",0.0174532925199433]),\n AXIS[\"Easting\",EAST],PARAMETER[\"x\",-1.5e3]] \n",
        )
        .expect("parses");
        assert_eq!(node.keyword, "PROJCS");
        assert_eq!(node.name(), Some("a \"b\""));
        let unit = node
            .child("GEOGCS")
            .and_then(|g| g.child("UNIT"))
            .expect("unit");
        assert_eq!(unit.number(1), Some(0.017_453_292_519_943_3));
        assert_eq!(
            node.child("AXIS").map(|a| a.args[1].clone()),
            Some(Arg::Word("EAST".into()))
        );
        assert_eq!(
            node.child("PARAMETER").and_then(|p| p.number(1)),
            Some(-1500.0)
        );
    }

    #[test]
    fn broken_wkt_is_an_error_with_its_place() {
        for bad in [
            "",
            "PROJCS",
            "PROJCS[\"a\"",
            "PROJCS[\"a]",
            "PROJCS[1 2]",
            "X[1] y",
            "X[1e]",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
