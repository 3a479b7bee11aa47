//! The columns of the `print status` tree at a terminal's width: SPEC
//! 5.2's when the lines fit, else as narrow as the rows allow, with the
//! labels and status lines cut into pieces that fit.

use super::Row;

/// The narrowest a label gets before the rest of it goes on the next
/// line: under it, a tree that can not fit lets its lines run long rather
/// than be chopped into one-word pieces.
const MIN_LABEL: usize = 20;

/// The columns of a tree: where the flags, the status and the label
/// start (each a character count from the line's start).
pub(super) struct Columns {
    pub(super) name: usize,
    pub(super) status: usize,
    pub(super) label: usize,
}

impl Columns {
    /// The columns of `rows` (`extra`: each row's status lines) at a
    /// terminal `width`, and the room a label or status line gets before
    /// it goes on under itself (`None`: whatever its length). Not on a
    /// terminal, or when its lines fit it, the columns are SPEC 5.2's.
    pub(super) fn fit(
        rows: &[Row],
        extra: &[Vec<String>],
        width: Option<usize>,
    ) -> (Columns, Option<usize>) {
        let mut cols = Columns::spec(rows);
        let mut room = None;
        if let Some(width) = width {
            if cols.widest(rows, extra) > width {
                cols = Columns::tight(rows);
                room = Some(width.saturating_sub(cols.label).max(MIN_LABEL));
            }
        }
        (cols, room)
    }

    /// SPEC 5.2's: the name column `max(14, longest name) + 3 × depth`,
    /// the status 10 wide.
    fn spec(rows: &[Row]) -> Columns {
        let longest = rows
            .iter()
            .map(|r| r.name.chars().count())
            .max()
            .unwrap_or(0);
        let depth = rows.iter().map(|r| r.last.len()).max().unwrap_or(0);
        Columns::with(longest.max(14) + 3 * depth, 10)
    }

    /// As narrow as the rows allow: the name column as wide as the widest
    /// name with its tree prefix (the service's own line aside: a long
    /// path pushes its status right rather than every row's label), the
    /// status as the longest status.
    fn tight(rows: &[Row]) -> Columns {
        let with_status = rows.iter().filter(|r| r.status.is_some());
        let name = with_status
            .clone()
            .filter(|r| !r.last.is_empty())
            .map(|r| 3 * r.last.len() + r.name.chars().count())
            .max()
            .unwrap_or(0);
        let status = with_status
            .filter_map(|r| r.status)
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0)
            .max(4);
        Columns::with(name, status)
    }

    fn with(name: usize, status: usize) -> Columns {
        Columns {
            name,
            status,
            label: name + 1 + 8 + 1 + status + 1,
        }
    }

    /// The widest line these columns make of the rows (`extra`: each
    /// row's status lines).
    fn widest(&self, rows: &[Row], extra: &[Vec<String>]) -> usize {
        rows.iter()
            .zip(extra)
            .map(|(r, lines)| {
                let head = if r.status.is_some() {
                    self.label + r.label.chars().count()
                } else {
                    3 * r.last.len() + r.name.chars().count()
                };
                lines
                    .iter()
                    .map(|l| self.label + l.chars().count())
                    .fold(head, usize::max)
            })
            .max()
            .unwrap_or(0)
    }
}

/// `text` cut into pieces of at most `room` characters: at the last space
/// of a piece (dropped), else after its last `@` or `/` (a label's image
/// reference), else where it must.
pub(super) fn pieces(text: &str, room: Option<usize>) -> Vec<String> {
    let Some(room) = room.filter(|r| *r > 0) else {
        return vec![text.to_string()];
    };
    let mut out = Vec::new();
    let mut rest: Vec<char> = text.chars().collect();
    while rest.len() > room {
        let (cut, skip) = match rest[1..=room].iter().rposition(|c| *c == ' ') {
            Some(at) => (at + 1, 1),
            None => match rest[..room].iter().rposition(|c| matches!(c, '@' | '/')) {
                Some(at) => (at + 1, 0),
                None => (room, 0),
            },
        };
        out.push(rest[..cut].iter().collect());
        rest.drain(..cut + skip);
    }
    out.push(rest.into_iter().collect());
    out
}
