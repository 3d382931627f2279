// Package tokenizer turns raw text into the subword ids a translation
// model reads, and back: a Moses-style pre-tokenizer and its inverse, BPE
// learning and application compatible with subword-nmt, and a fairseq
// style Dictionary. It uses only the standard library.
//
// # Pre-tokenization
//
// Tokenizer follows the rules of Moses' tokenizer.perl with -no-escape:
// punctuation is split from words, a word-final period is split off unless
// the word is an abbreviation, commas inside numbers ("1,000.50") stay,
// English contractions split as "don 't" and "1990 's", French and
// Italian elisions as "l' homme". Other languages keep an apostrophe
// between two letters inside the word (German "geht's"), where Moses would
// split it off, because no detokenizer can tell that apostrophe from a
// quotation mark. Beyond Moses, URLs and e-mail addresses are kept whole.
// No character is escaped, replaced or dropped: the tokens of a
// whitespace-free run of text concatenate back to exactly that run.
//
// Detokenize joins tokens with a space unless a rule attaches them, and
// Tokenize never leaves a split that those rules would not join again
// (a split the detokenizer could not undo is reverted, so "km/h" and
// "10:30" stay one token). Hence Detokenize(Tokenize(s)) == s for every
// line s whose spacing agrees with the rules. It is lossy exactly here:
//
//   - Whitespace: leading and trailing whitespace is dropped and every run
//     of whitespace (spaces, tabs, no-break and other Unicode spaces)
//     becomes one ASCII space.
//   - A space the rules remove: before , . ; : ! ? ) ] } (in French only
//     before , . ) ] }), before % in English, before a closing quotation
//     mark, before an English contraction ("'s" after a letter or digit)
//     and before a hyphen-initial word after a closing quotation mark
//     („Stop“ -Schild); after ( [ { ¿ ¡, after an opening quotation mark,
//     after a currency sign followed by a digit ("$ 5") and after a French
//     or Italian elision ("l' homme").
//   - Quotation marks: " and ' close the innermost open mark of their
//     kind and otherwise open a quotation, except at the end of the line
//     or before closing punctuation; typographic marks pair by language
//     („…“ in German, “…” in English). A mark the rules pair differently
//     from the text loses the space on its attached side ("a ' b" becomes
//     "a 'b").
//
// No space is ever added: a line only loses spaces, in the places above.
//
// On the Multi30k training set the round trip is exact, modulo whitespace,
// for 99.98% of the English and 99.93% of the German lines, on
// newstest2014 for all but one and two lines; the exceptions have a space
// before a comma, colon, period or closing bracket, or after an opening one.
//
// # BPE
//
// LearnBPE and BPE reproduce subword-nmt's learn_bpe.py and apply_bpe.py
// (codes format 0.2) byte for byte, including how ties are broken and how
// lines are split into words (single spaces, everything else stays inside
// a word). Learning keeps subword-nmt's incremental pair statistics with
// an index from pairs to words, so thousands of merges take well under a
// second on a corpus of tens of thousands of sentences.
//
// # Dictionary
//
// Dictionary numbers symbols as fairseq does (<s> 0, <pad> 1, </s> 2,
// <unk> 3, then by descending count) and reads and writes its dict.txt.
package tokenizer
