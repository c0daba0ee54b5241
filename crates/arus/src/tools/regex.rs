//! A small backtracking regular-expression matcher for `--topic` patterns (Kafka treats the
//! value as a Java regex matched against the whole topic name). Supports literals, `.`,
//! `[...]` classes (ranges, `^` negation), `*`, `+`, `?`, `|`, `(...)` groups and `\` escapes.

#[derive(Debug, Clone)]
enum Node {
    Char(char),
    Any,
    Class(Vec<(char, char)>, bool),
    Group(Vec<Vec<Item>>),
}

#[derive(Debug, Clone)]
struct Item {
    node: Node,
    min: usize,
    max: usize,
}

/// A compiled pattern that matches whole strings.
#[derive(Debug, Clone)]
pub struct Pattern {
    alts: Vec<Vec<Item>>,
}

impl Pattern {
    pub fn new(pattern: &str) -> Result<Pattern, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut pos = 0;
        let alts = parse_alts(&chars, &mut pos)?;
        if pos != chars.len() {
            return Err(format!("Unmatched closing ')' in pattern {pattern}"));
        }
        Ok(Pattern { alts })
    }

    /// Whether the whole of `s` matches.
    pub fn matches(&self, s: &str) -> bool {
        let chars: Vec<char> = s.chars().collect();
        match_alts(&self.alts, &chars, 0, &mut |end| end == chars.len())
    }
}

fn parse_alts(c: &[char], pos: &mut usize) -> Result<Vec<Vec<Item>>, String> {
    let mut alts = vec![Vec::new()];
    while *pos < c.len() {
        let ch = c[*pos];
        let node = match ch {
            '|' => {
                *pos += 1;
                alts.push(Vec::new());
                continue;
            }
            ')' => break,
            '^' | '$' => {
                *pos += 1;
                continue;
            }
            '(' => {
                *pos += 1;
                if c.get(*pos) == Some(&'?') && c.get(*pos + 1) == Some(&':') {
                    *pos += 2;
                }
                let inner = parse_alts(c, pos)?;
                if c.get(*pos) != Some(&')') {
                    return Err("Unclosed group".into());
                }
                *pos += 1;
                Node::Group(inner)
            }
            '.' => {
                *pos += 1;
                Node::Any
            }
            '[' => {
                *pos += 1;
                let neg = c.get(*pos) == Some(&'^');
                if neg {
                    *pos += 1;
                }
                let mut ranges = Vec::new();
                let mut first = true;
                loop {
                    let Some(&a) = c.get(*pos) else {
                        return Err("Unclosed character class".into());
                    };
                    if a == ']' && !first {
                        *pos += 1;
                        break;
                    }
                    first = false;
                    let a = if a == '\\' {
                        *pos += 1;
                        *c.get(*pos).ok_or("Trailing backslash")?
                    } else {
                        a
                    };
                    *pos += 1;
                    if c.get(*pos) == Some(&'-') && c.get(*pos + 1).is_some_and(|&b| b != ']') {
                        let b = c[*pos + 1];
                        *pos += 2;
                        ranges.push((a, b));
                    } else {
                        ranges.push((a, a));
                    }
                }
                Node::Class(ranges, neg)
            }
            '\\' => {
                *pos += 1;
                let e = *c.get(*pos).ok_or("Trailing backslash")?;
                *pos += 1;
                match e {
                    'd' => Node::Class(vec![('0', '9')], false),
                    'w' => Node::Class(vec![('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')], false),
                    _ => Node::Char(e),
                }
            }
            '*' | '+' | '?' => return Err(format!("Dangling meta character '{ch}'")),
            _ => {
                *pos += 1;
                Node::Char(ch)
            }
        };
        let (min, max) = match c.get(*pos) {
            Some('*') => (0, usize::MAX),
            Some('+') => (1, usize::MAX),
            Some('?') => (0, 1),
            _ => (1, 1),
        };
        if (min, max) != (1, 1) {
            *pos += 1;
        }
        alts.last_mut().unwrap().push(Item { node, min, max });
    }
    Ok(alts)
}

fn match_alts(alts: &[Vec<Item>], s: &[char], i: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
    alts.iter().any(|seq| match_seq(seq, s, i, k))
}

fn match_seq(seq: &[Item], s: &[char], i: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
    match seq.split_first() {
        None => k(i),
        Some((item, rest)) => match_rep(item, 0, rest, s, i, k),
    }
}

fn match_rep(
    item: &Item,
    count: usize,
    rest: &[Item],
    s: &[char],
    i: usize,
    k: &mut dyn FnMut(usize) -> bool,
) -> bool {
    // Greedy: try one more repetition first, then the rest.
    if count < item.max
        && match_one(&item.node, s, i, &mut |j| {
            j != i && match_rep(item, count + 1, rest, s, j, k)
        })
    {
        return true;
    }
    count >= item.min && match_seq(rest, s, i, k)
}

fn match_one(node: &Node, s: &[char], i: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
    match node {
        Node::Char(c) => s.get(i) == Some(c) && k(i + 1),
        Node::Any => i < s.len() && k(i + 1),
        Node::Class(ranges, neg) => match s.get(i) {
            Some(&c) => (ranges.iter().any(|&(a, b)| a <= c && c <= b) != *neg) && k(i + 1),
            None => false,
        },
        Node::Group(alts) => match_alts(alts, s, i, k),
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    #[test]
    fn whole_string_matches() {
        let m = |p: &str, s: &str| Pattern::new(p).unwrap().matches(s);
        assert!(m("orders", "orders"));
        assert!(!m("orders", "orders2"));
        assert!(m("orders.*", "orders-eu"));
        assert!(m("a|b", "b"));
        assert!(m("test-[0-9]+", "test-42"));
        assert!(!m("test-[0-9]+", "test-"));
        assert!(m("(foo|bar)s?", "bars"));
        assert!(m("a\\.b", "a.b"));
        assert!(!m("a\\.b", "axb"));
        assert!(m(".*", ""));
    }
}
