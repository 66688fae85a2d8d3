//! The listing walk: fills one page with S3's rules (`s3::list_model` is the
//! reference) from parts of products ("ranges", each one backend prefix)
//! and from products shown as folders, asking backends only for what the
//! caller may see. Backends are reached through a callback, so this holds
//! no I/O of its own.
//!
//! Names are in the listing's terms (relative to the listed bucket). A
//! range's backend keys `{base}{scan}…` are listed as `{root}{scan}…`. Each
//! call resumes strictly after the last name taken; a position inside a
//! backend folder is never sent with the delimiter (backends differ on what
//! they answer), a one-key probe without it decides instead. The page is
//! filled to `max_keys` plus one name, so `IsTruncated` is exact; at most
//! [`MAX_BACKEND_CALLS`] calls are made, and a page cut short by that budget
//! is truncated, never silently short.
//!
//! A name longer than its range's `max_name` (a key an S3 client would see
//! as over 1024 bytes: it could never read it) is not listed; the walk moves
//! past it and every name sharing its first `max_name` bytes, none of which
//! can be listed either (see [`Walk::skip_long`]). A common prefix it rolls
//! up into is listed when it fits (`s3::list_model` states the same rule).

use super::keyspace::{common_prefix, same_rollup, start_after_key, start_after_prefix};
use super::list::{Entry, ListOutput, Position, MAX_KEYS};
use crate::error::{ProxyError, Result};
use crate::platform::{ListPage, ListRequest, ListedObject};
use crate::route::MAX_KEY_BYTES;

/// Backend list calls one listing request may make.
pub const MAX_BACKEND_CALLS: usize = 8;

/// One part of a product: backend keys `{base}{scan}…`, named `{root}{scan}…`.
pub struct Range<'a> {
    pub base: &'a str,
    pub root: &'a str,
    pub scan: &'a str,
    /// The longest name listed, in bytes.
    pub max_name: usize,
}

impl Range<'_> {
    /// Can a backend key (at most 1024 bytes, as on S3 and R2) be named
    /// longer than `max_name` here?
    fn may_hold_long_names(&self) -> bool {
        MAX_KEY_BYTES.saturating_sub(self.base.len()) + self.root.len() > self.max_name
    }
}

pub struct Walk<'q> {
    prefix: &'q str,
    delimiter: Option<&'q str>,
    max_keys: usize,
    /// Everything at or before this is done (names the caller may not see
    /// included: it is never shown).
    cursor: Option<Position>,
    /// The last position shown: an entry, or the end of a finished range.
    shown: Option<Position>,
    entries: Vec<Entry>,
    /// Known: a name follows the last entry.
    more: bool,
    /// Stopped by the call budget.
    cut: bool,
    calls: usize,
}

impl<'q> Walk<'q> {
    /// A walk resuming after `after`; a position equal to a common prefix
    /// skips everything under it (V1 markers can be common prefixes).
    pub fn new(prefix: &'q str, delimiter: Option<&'q str>, after: Option<Position>, max_keys: u32) -> Self {
        let cursor = after.map(|a| Position {
            is_prefix: a.is_prefix || common_prefix(&a.value, prefix, delimiter) == Some(a.value.as_str()),
            value: a.value,
        });
        Walk {
            prefix,
            delimiter: delimiter.filter(|d| !d.is_empty()),
            max_keys: max_keys.min(MAX_KEYS) as usize,
            cursor,
            shown: None,
            entries: Vec::new(),
            more: false,
            cut: false,
            calls: 0,
        }
    }

    /// Nothing more to do: the page (and its look-ahead) is full, or the budget is spent.
    pub fn done(&self) -> bool {
        self.max_keys == 0 || self.entries.len() > self.max_keys || self.more || self.cut
    }

    /// Is every name under `names` already behind the walk?
    pub fn covers(&self, names: &str) -> bool {
        self.cursor.as_ref().is_some_and(|c| c.covers(names))
    }

    /// A product shown as a folder: `root` counts as a name for the common
    /// prefix it rolls up into, even while the product is empty. (A cursor
    /// equal to a common prefix always skips all of it, so `admits` is enough
    /// here and below.)
    pub fn folder(&mut self, root: &str) {
        let Some(cp) = common_prefix(root, self.prefix, self.delimiter) else {
            return;
        };
        if !self.done() && self.cursor.as_ref().is_none_or(|c| c.admits(root)) {
            self.push(Entry::Prefix(cp.to_string()));
        }
    }

    /// Lists one range through `list`; `allowed` double-checks every name.
    pub async fn range(
        &mut self,
        r: &Range<'_>,
        mut list: impl AsyncFnMut(&ListRequest) -> Result<ListPage>,
        allowed: &dyn Fn(&str, bool) -> bool,
    ) -> Result<()> {
        let names = format!("{}{}", r.root, r.scan);
        while !self.done() && !self.covers(&names) {
            if self.calls >= MAX_BACKEND_CALLS {
                self.cut = true;
                return Ok(());
            }
            let (req, probe) = self.plan(r, &names);
            self.calls += 1;
            let page = list(&req).await?;
            let before = self.cursor.clone();
            self.take(r, &names, page.objects, page.common_prefixes, allowed);
            if !page.truncated {
                self.end_range(&names);
                return Ok(());
            }
            if self.cursor == before {
                // Guard against a backend ignoring start-after: never loop a client.
                return Err(ProxyError::Backend("backend list made no progress".into()));
            }
            // The backend's next name might be one too long to list: then
            // only asking tells whether an entry follows.
            if !probe && !r.may_hold_long_names() {
                self.look_ahead(&names);
            }
        }
        Ok(())
    }

    /// The next backend request for `r`, and whether it is a probe.
    fn plan(&self, r: &Range<'_>, names: &str) -> (ListRequest, bool) {
        let scan = format!("{}{}", r.base, r.scan);
        let mut req = ListRequest {
            prefix: scan.clone(),
            delimiter: self.delimiter.map(str::to_string),
            start_after: None,
            limit: self.limit(names),
        };
        let Some(c) = self.cursor.as_ref().filter(|c| c.value.starts_with(names)) else {
            return (req, false);
        };
        let at = format!("{}{}", r.base, &c.value[r.root.len()..]);
        req.start_after = Some(match c.is_prefix {
            true => start_after_prefix(&at),
            false => start_after_key(&at),
        });
        // Inside (or at) a backend folder that is not skipped whole: the
        // first key after the position decides what comes next.
        let folder_end = self
            .delimiter
            .and_then(|d| at[scan.len()..].find(d).map(|i| scan.len() + i + d.len()));
        let probe = folder_end.is_some_and(|end| !(c.is_prefix && end >= at.len()));
        if probe {
            req.delimiter = None;
            req.limit = 1;
        }
        (req, probe)
    }

    /// How many names to ask for: one when the whole range rolls up into one
    /// common prefix, else what the page still needs (with its look-ahead).
    fn limit(&self, names: &str) -> u32 {
        let whole = common_prefix(names, self.prefix, self.delimiter).is_some();
        let need = (self.max_keys + 1).saturating_sub(self.entries.len());
        if whole {
            1
        } else {
            u32::try_from(need).map_or(MAX_KEYS, |n| n.clamp(1, MAX_KEYS))
        }
    }

    /// Takes a backend page's names (backend-absolute), in order.
    fn take(
        &mut self,
        r: &Range<'_>,
        names: &str,
        objects: Vec<ListedObject>,
        prefixes: Vec<String>,
        allowed: &dyn Fn(&str, bool) -> bool,
    ) {
        // Each key is moved out of its object and renamed in place: a page
        // holds up to 1000 keys, and copies per key were a large share of
        // the walk's CPU.
        let mut got: Vec<(String, Option<ListedObject>)> = objects
            .into_iter()
            .map(|mut o| (std::mem::take(&mut o.key), Some(o)))
            .chain(prefixes.into_iter().map(|p| (p, None)))
            .collect();
        crate::sort::sort_by(&mut got, |a, b| a.0.cmp(&b.0));
        for (mut name, object) in got {
            // Outside the range (a misbehaving backend): dropped, never shown.
            if !name.starts_with(r.base) {
                continue;
            }
            name.replace_range(..r.base.len(), r.root);
            if !name.starts_with(names) {
                continue;
            }
            if self.done() || self.cursor.as_ref().is_some_and(|c| !c.admits(&name)) {
                continue;
            }
            let entry = match (common_prefix(&name, self.prefix, self.delimiter), object) {
                (Some(cp), _) => Entry::Prefix(cp.to_string()),
                (None, Some(mut o)) => {
                    o.key = name;
                    Entry::Object(o)
                }
                (None, None) => continue,
            };
            if !allowed(entry.name(), matches!(entry, Entry::Prefix(_))) {
                self.cursor = Some(entry.position());
            } else if entry.name().len() > r.max_name {
                self.skip_long(entry.name(), r.max_name);
            } else {
                self.push(entry);
            }
        }
    }

    /// Moves past `name`, too long to be listed, and every name starting with
    /// its first `max_name` bytes (cut at a character boundary): each one that
    /// fits sorts before `name` (its next character is shorter, so its first
    /// byte is smaller), so only names too long to list remain there. The
    /// position may be shown (a token must make progress), and it is within
    /// 1024 bytes, unlike the name.
    fn skip_long(&mut self, name: &str, max_name: usize) {
        let mut cut = max_name.min(name.len());
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        self.cursor = Some(Position {
            value: name[..cut].to_string(),
            is_prefix: true,
        });
        self.shown = self.cursor.clone();
    }

    fn push(&mut self, e: Entry) {
        let is_prefix = matches!(e, Entry::Prefix(_));
        set_position(&mut self.cursor, e.name(), is_prefix);
        set_position(&mut self.shown, e.name(), is_prefix);
        self.entries.push(e);
    }

    /// The range holds nothing more: the walk is past all of it.
    fn end_range(&mut self, names: &str) {
        if !self.covers(names) {
            self.cursor = Some(Position {
                value: names.to_string(),
                is_prefix: true,
            });
            self.shown = self.cursor.clone();
        }
    }

    /// The backend said more follows; when its next name cannot roll up into
    /// the last entry, that is one more entry, and a full page is truncated.
    fn look_ahead(&mut self, names: &str) {
        let last_is_key = matches!(self.entries.last(), Some(Entry::Object(_)));
        let between = names.strip_prefix(self.prefix).unwrap_or(names);
        let exact = self.delimiter.is_none_or(|d| same_rollup(between, d));
        if self.entries.len() == self.max_keys && (last_is_key || exact) {
            self.more = true;
        }
    }

    /// The page: at most `max_keys` entries, and where the next one starts.
    pub fn finish(mut self) -> ListOutput {
        if self.entries.len() > self.max_keys {
            self.entries.truncate(self.max_keys);
            self.more = true;
        }
        let next = match self.more || self.cut {
            true => self.entries.last().map(Entry::position).or(self.shown),
            false => None,
        };
        ListOutput {
            entries: self.entries,
            next,
        }
    }
}

/// Sets `slot` to `value`, reusing its string's buffer: the walk moves its
/// positions once per listed name.
fn set_position(slot: &mut Option<Position>, value: &str, is_prefix: bool) {
    match slot {
        Some(p) => {
            p.value.clear();
            p.value.push_str(value);
            p.is_prefix = is_prefix;
        }
        None => {
            *slot = Some(Position {
                value: value.to_string(),
                is_prefix,
            });
        }
    }
}
