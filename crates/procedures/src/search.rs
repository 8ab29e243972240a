//! Procedure search as people type it: without diacritics ("giay phep xay dung"), with small
//! typos ("khai sihn"), by national code, with abbreviations and everyday words from an
//! editable synonym list ("LLTP", "xây nhà"), and with the words people wrap a request in
//! ("làm giấy khai sinh cho con"); rare words weigh more than common ones in the ranking. An in-memory index of the published procedures, rebuilt
//! when one changes; a search scores every procedure (a province has about 2,000).

use std::sync::Arc;

use cqdt_platform::web::fold;

use crate::model::{Level, OnlineLevel, Procedure};

/// A procedure as the index holds it.
#[derive(Debug)]
struct Doc {
    procedure: Arc<Procedure>,
    /// Folded name.
    name: String,
    /// Words of the name, then of the field, as positions in the vocabulary.
    words: Vec<u32>,
    /// Words of the name only (the first `name_words` of `words`).
    name_words: usize,
}

/// Filters of a search.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Field code.
    pub field: Option<String>,
    /// Level.
    pub level: Option<Level>,
    /// Online level.
    pub online: Option<OnlineLevel>,
    /// Agency kind (as written in the procedure), folded comparison.
    pub agency_kind: Option<String>,
}

/// The index: every distinct folded word once, so that a query compares its words (with
/// typos) against the vocabulary, not against every procedure.
#[derive(Debug, Default)]
pub struct Index {
    vocab: Vec<String>,
    /// Weight of each vocabulary word: rarer words say more about what is meant.
    weight: Vec<u32>,
    docs: Vec<Doc>,
    by_code: std::collections::HashMap<String, usize>,
    synonyms: Vec<Synonym>,
}

/// The synonyms every instance starts with (folded term, expansion); administrators add to
/// them, change them or remove them.
pub const BUILT_IN_SYNONYMS: [(&str, &str); 14] = [
    ("lltp", "lý lịch tư pháp"),
    ("gpxd", "giấy phép xây dựng"),
    ("xay nha", "giấy phép xây dựng nhà ở"),
    ("gplx", "giấy phép lái xe"),
    ("bang lai", "giấy phép lái xe"),
    ("hkd", "hộ kinh doanh"),
    ("so do", "giấy chứng nhận quyền sử dụng đất"),
    ("so hong", "giấy chứng nhận quyền sở hữu"),
    ("cuoi", "kết hôn"),
    ("sinh con", "khai sinh"),
    ("qua doi", "khai tử"),
    ("ho khau", "đăng ký thường trú"),
    ("tnhh", "trách nhiệm hữu hạn"),
    ("attp", "an toàn thực phẩm"),
];

/// A term people type (one or more folded words) and the words it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synonym {
    /// The folded words typed, e.g. `["lltp"]` or `["xay", "nha"]`.
    pub term: Vec<String>,
    /// The folded words searched instead.
    pub expansion: Vec<String>,
}

impl Synonym {
    /// A synonym from the written term and expansion (folded here); `None` when either has
    /// no word.
    pub fn new(term: &str, expansion: &str) -> Option<Synonym> {
        let (term, expansion) = (words_of(term), words_of(expansion));
        (!term.is_empty() && !expansion.is_empty()).then_some(Synonym { term, expansion })
    }
}

/// Words that say nothing about which procedure is meant: "thủ tục", "cấp", the "giấy" of
/// "giấy khai sinh" (a paper of some kind: giấy phép, giấy chứng nhận…), and the words
/// people wrap a request in ("làm … cho con", "xin", "muốn", "tôi", "giúp", "ở đâu").
const STOP: [&str; 16] = [
    "thu", "tuc", "cap", "cua", "va", "cho", "giay", "lam", "xin", "muon", "toi", "giup", "nao",
    "dau", "con", "minh",
];

fn words_of(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The query's words with each synonym term replaced by its expansion (longest term first).
fn expand(words: Vec<String>, synonyms: &[Synonym]) -> Vec<String> {
    let mut out = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let hit = synonyms
            .iter()
            .filter(|s| words[i..].starts_with(&s.term))
            .max_by_key(|s| s.term.len());
        match hit {
            Some(s) => {
                out.extend(s.expansion.iter().cloned());
                i += s.term.len();
            }
            None => {
                out.push(words[i].clone());
                i += 1;
            }
        }
    }
    out
}

/// Levenshtein distance, stopping early once it exceeds `limit`.
fn within(a: &str, b: &str, limit: usize) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > limit {
        return false;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            // A transposition ("sihn" for "sinh") counts as one edit.
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev[j - 1]);
            }
            row_min = row_min.min(cur[j]);
        }
        if row_min > limit {
            return false;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()] <= limit
}

/// How well one query word matches one indexed word: exact 4, prefix 3, one typo 2.
fn word_score(q: &str, w: &str) -> u32 {
    if q == w {
        4
    } else if q.len() >= 2 && w.starts_with(q) {
        3
    } else if q.chars().count() >= 4 && within(q, w, 1) {
        2
    } else {
        0
    }
}

impl Index {
    /// Builds the index of the given procedures.
    pub fn build(procedures: impl IntoIterator<Item = Arc<Procedure>>) -> Index {
        Self::with_synonyms(procedures, Vec::new())
    }

    /// Builds the index of the given procedures, expanding queries with `synonyms`.
    pub fn with_synonyms(
        procedures: impl IntoIterator<Item = Arc<Procedure>>,
        synonyms: Vec<Synonym>,
    ) -> Index {
        let mut ids: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
        let mut vocab: Vec<String> = Vec::new();
        let mut id_of = |w: String| -> u32 {
            if let Some(id) = ids.get(&w) {
                return *id;
            }
            let id = vocab.len() as u32;
            vocab.push(w.clone());
            ids.insert(w, id);
            id
        };
        let docs: Vec<Doc> = procedures
            .into_iter()
            .map(|p| {
                // "Thủ tục", "cấp"…: never what a query means, and prefixes of words that are.
                let meaningful = |w: &String| !STOP.contains(&w.as_str());
                let mut words: Vec<u32> =
                    words_of(&p.name).into_iter().filter(meaningful).map(&mut id_of).collect();
                let name_words = words.len();
                words
                    .extend(words_of(&p.field.name).into_iter().filter(meaningful).map(&mut id_of));
                Doc { name: fold(&p.name), words, name_words, procedure: p }
            })
            .collect();
        let by_code = docs
            .iter()
            .enumerate()
            .map(|(i, d): (usize, &Doc)| (d.procedure.code.clone(), i))
            .collect();
        // Inverse document frequency, as whole numbers: 10 * (1 + ln(N / df)).
        let mut df = vec![0u32; vocab.len()];
        for d in &docs {
            let mut seen: Vec<u32> = d.words.clone();
            seen.sort_unstable();
            seen.dedup();
            for w in seen {
                df[w as usize] += 1;
            }
        }
        let n = docs.len().max(1) as f64;
        let weight =
            df.iter().map(|&f| (10.0 * (1.0 + (n / f64::from(f.max(1))).ln())) as u32).collect();
        Index { vocab, weight, docs, by_code, synonyms }
    }

    /// One procedure by its provincial code.
    pub fn get(&self, code: &str) -> Option<&Arc<Procedure>> {
        self.by_code.get(code).and_then(|i| self.docs.get(*i)).map(|d| &d.procedure)
    }

    /// How many procedures it holds.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Every procedure, as stored.
    pub fn all(&self) -> impl Iterator<Item = &Arc<Procedure>> {
        self.docs.iter().map(|d| &d.procedure)
    }

    /// The procedures matching a query and filters, best first, at most `limit`.
    pub fn search(&self, query: &str, filters: &Filters, limit: usize) -> Vec<Arc<Procedure>> {
        let q = expand(words_of(query), &self.synonyms);
        let code_query = query.trim();
        let meaningful: Vec<&String> = q.iter().filter(|w| !STOP.contains(&w.as_str())).collect();
        let terms: Vec<&String> =
            if meaningful.is_empty() { q.iter().collect() } else { meaningful };
        let phrase = q.join(" ");
        // Each query word scored once against each distinct word. A word that some name has
        // as typed is taken as meant: folded Vietnamese words are short and alike ("huyen",
        // "chuyen"; "trong", "truong"), so prefixes and typos are only tried for the others.
        let scores: Vec<Vec<u8>> = terms
            .iter()
            .map(|t| {
                let known = self.vocab.iter().any(|w| w == *t);
                self.vocab
                    .iter()
                    .map(|w| if known { 4 * u8::from(w == *t) } else { word_score(t, w) as u8 })
                    .collect()
            })
            .collect();
        let agency_kind = filters.agency_kind.as_deref().map(fold);
        let mut hits: Vec<(u32, &Doc)> = Vec::new();
        for d in &self.docs {
            let p = &d.procedure;
            if filters.field.as_deref().is_some_and(|f| p.field.code != f)
                || filters.level.is_some_and(|l| !p.levels.contains(&l))
                || filters.online.is_some_and(|o| p.online_level != o)
                || agency_kind.as_deref().is_some_and(|k| {
                    !p.implementing_agency_kinds.iter().any(|a| fold(a).contains(k))
                })
            {
                continue;
            }
            if terms.is_empty() {
                hits.push((u32::from(p.popular), d));
                continue;
            }
            if !code_query.is_empty() && (p.national_code == code_query || p.code == code_query) {
                hits.push((u32::MAX, d));
                continue;
            }
            // Every meaningful word must match some word of the name or field; rare words
            // weigh more than common ones.
            let mut score = 0;
            let mut all = true;
            for s in &scores {
                let best = d
                    .words
                    .iter()
                    .enumerate()
                    .map(|(i, w)| {
                        u32::from(s[*w as usize])
                            * if i < d.name_words { 2 } else { 1 }
                            * self.weight[*w as usize]
                    })
                    .max()
                    .unwrap_or(0);
                if best == 0 {
                    all = false;
                    break;
                }
                score += best;
            }
            if !all {
                continue;
            }
            if phrase.len() >= 3 && d.name.contains(&phrase) {
                score += 200;
            }
            // Shorter names that match are more likely what was meant.
            score = score * 100 / (100 + d.name_words as u32);
            if p.popular {
                score += 1;
            }
            hits.push((score, d));
        }
        hits.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
        hits.into_iter().take(limit).map(|(_, d)| d.procedure.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proc(code: &str, name: &str, field: &str, popular: bool) -> Arc<Procedure> {
        Arc::new(
            serde_json::from_value(serde_json::json!({
                "code": format!("{code}.000.00.00.H51"), "national_code": code, "name": name,
                "field": {"code": field, "name": field}, "levels": ["xa"], "online_level": "full",
                "processing_time": {"amount": 3, "unit": "working_days"}, "popular": popular
            }))
            .expect("procedure"),
        )
    }

    fn index() -> Index {
        Index::build([
            proc("1.001193", "Thủ tục đăng ký khai sinh", "Hộ tịch", true),
            proc("1.000656", "Thủ tục đăng ký khai tử", "Hộ tịch", false),
            proc("1.000894", "Thủ tục đăng ký kết hôn", "Hộ tịch", true),
            proc("1.009994", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "Xây dựng", true),
            proc("2.001200", "Cấp giấy phép kinh doanh bán lẻ rượu", "Lưu thông hàng hóa", false),
        ])
    }

    fn names(v: Vec<Arc<Procedure>>) -> Vec<String> {
        v.into_iter().map(|p| p.name.clone()).collect()
    }

    #[test]
    fn a_search_without_diacritics_finds_the_procedure() {
        let r = names(index().search("giay phep xay dung", &Filters::default(), 10));
        assert_eq!(r[0], "Cấp giấy phép xây dựng nhà ở riêng lẻ");
        let r = names(index().search("khai sinh", &Filters::default(), 10));
        assert_eq!(r[0], "Thủ tục đăng ký khai sinh");
        assert_eq!(r.len(), 1, "{r:?}");
    }

    #[test]
    fn small_typos_are_tolerated() {
        let r = names(index().search("khai sihn", &Filters::default(), 10));
        assert_eq!(r.first().map(String::as_str), Some("Thủ tục đăng ký khai sinh"));
        let r = names(index().search("giay phep xay dunh", &Filters::default(), 10));
        assert_eq!(r.first().map(String::as_str), Some("Cấp giấy phép xây dựng nhà ở riêng lẻ"));
        let r = names(index().search("ket hon", &Filters::default(), 10));
        assert_eq!(r, vec!["Thủ tục đăng ký kết hôn"]);
    }

    #[test]
    fn unrelated_words_find_nothing_and_codes_find_their_procedure() {
        assert!(index().search("xe may", &Filters::default(), 10).is_empty());
        let r = names(index().search("1.000656", &Filters::default(), 10));
        assert_eq!(r, vec!["Thủ tục đăng ký khai tử"]);
    }

    #[test]
    fn filters_narrow_the_results() {
        let f = Filters { field: Some("Hộ tịch".into()), ..Filters::default() };
        assert_eq!(index().search("", &f, 10).len(), 3);
        let f = Filters { level: Some(Level::Tinh), ..Filters::default() };
        assert!(index().search("", &f, 10).is_empty());
    }

    #[test]
    fn words_people_add_or_that_no_name_has_do_not_hide_the_procedure() {
        for q in ["giấy khai sinh", "lam giay khai sinh cho con", "xin giay phep xay dung"] {
            let r = names(index().search(q, &Filters::default(), 10));
            assert!(!r.is_empty(), "{q}");
            assert!(r[0].contains("khai sinh") || r[0].contains("xây dựng"), "{q}: {r:?}");
        }
        let r = names(index().search("lam giay khai sinh cho con", &Filters::default(), 10));
        assert_eq!(r, vec!["Thủ tục đăng ký khai sinh"]);
    }

    #[test]
    fn a_word_some_name_has_is_not_read_as_a_typo_or_a_prefix_of_another() {
        let idx = Index::build([
            proc("1.000656", "Thủ tục đăng ký khai tử", "Hộ tịch", false),
            proc("1.001193", "Thủ tục đăng ký khai sinh", "Hộ tịch", true),
            proc("2.002480", "Thủ tục chuyển trường đối với học sinh", "Giáo dục", false),
            proc("1.004", "Cấp giấy phép môi trường cấp huyện", "Môi trường", false),
            proc("1.005", "Đăng ký biến động trong thời hạn", "Đất đai", false),
        ]);
        let r = names(idx.search("khai tử", &Filters::default(), 10));
        assert_eq!(r, vec!["Thủ tục đăng ký khai tử"], "not every 'Thủ tục' by its prefix");
        let r = names(idx.search("chuyển trường", &Filters::default(), 10));
        assert_eq!(r, vec!["Thủ tục chuyển trường đối với học sinh"], "not huyen, not trong");
    }

    #[test]
    fn synonyms_stand_for_the_words_of_the_names() {
        let mut idx = index();
        idx.synonyms = vec![
            Synonym::new("LLTP", "lý lịch tư pháp").expect("synonym"),
            Synonym::new("xây nhà", "giấy phép xây dựng").expect("synonym"),
        ];
        let idx = Index::with_synonyms(
            idx.docs.iter().map(|d| d.procedure.clone()).chain([proc(
                "2.000488",
                "Cấp Phiếu lý lịch tư pháp",
                "Lý lịch tư pháp",
                true,
            )]),
            idx.synonyms.clone(),
        );
        let r = names(idx.search("lltp", &Filters::default(), 10));
        assert_eq!(r, vec!["Cấp Phiếu lý lịch tư pháp"]);
        let r = names(idx.search("xin phép xây nhà", &Filters::default(), 10));
        assert_eq!(r[0], "Cấp giấy phép xây dựng nhà ở riêng lẻ");
        assert_eq!(Synonym::new("  ", "x"), None);
    }

    #[test]
    fn the_edit_distance_counts_transpositions_as_one() {
        assert!(within("sihn", "sinh", 1));
        assert!(within("dunh", "dung", 1));
        assert!(!within("xe", "xay", 1));
        assert!(!within("abcd", "wxyz", 1));
    }
}
