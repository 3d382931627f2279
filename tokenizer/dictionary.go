package tokenizer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The special symbols and their ids, in fairseq's order, so that
// embeddings and dict.txt files can travel between zoo and fairseq.
const (
	BOS = "<s>"   // beginning of sentence
	PAD = "<pad>" // fills batches to equal length
	EOS = "</s>"  // end of sentence, appended by Encode
	UNK = "<unk>" // stands for every symbol not in the dictionary

	BOSIndex = 0 // id of BOS
	PADIndex = 1 // id of PAD
	EOSIndex = 2 // id of EOS
	UNKIndex = 3 // id of UNK

	numSpecial = 4
)

// Dictionary maps symbols to the integer ids a model sees, like fairseq's
// Dictionary: four special symbols first, then the vocabulary. The zero
// value is not ready for use; call NewDictionary or LoadDictionary.
type Dictionary struct {
	symbols []string
	counts  []int
	index   map[string]int
}

// NewDictionary returns a dictionary holding only the special symbols,
// each counted once as fairseq counts them.
func NewDictionary() *Dictionary {
	d := &Dictionary{index: map[string]int{}}
	for _, s := range []string{BOS, PAD, EOS, UNK} {
		d.Add(s, 1)
	}
	return d
}

// Add counts n more occurrences of sym, appending it if it is new, and
// returns its id.
func (d *Dictionary) Add(sym string, n int) int {
	if i, ok := d.index[sym]; ok {
		d.counts[i] += n
		return i
	}
	i := len(d.symbols)
	d.index[sym] = i
	d.symbols = append(d.symbols, sym)
	d.counts = append(d.counts, n)
	return i
}

// AddLine counts the whitespace-separated tokens of line.
func (d *Dictionary) AddLine(line string) {
	for _, tok := range strings.Fields(line) {
		d.Add(tok, 1)
	}
}

// AddText counts every token of r, reading it line by line; name is used
// in errors.
func (d *Dictionary) AddText(r io.Reader, name string) error {
	br := bufio.NewReaderSize(r, 1<<16)
	for n := 1; ; n++ {
		line, err := br.ReadString('\n')
		if !utf8.ValidString(line) {
			return &LineError{name, n, ErrInvalidUTF8}
		}
		d.AddLine(line)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
}

// FinalizeOptions configures Finalize; the zero value keeps every symbol
// and does not pad.
type FinalizeOptions struct {
	// Threshold drops symbols counted fewer times.
	Threshold int
	// MaxSymbols caps the dictionary's size, special symbols included;
	// 0 means no cap.
	MaxSymbols int
	// PadTo pads the size up to a multiple of it with "madeupwordNNNN"
	// symbols (fairseq uses 8, which suits GPU kernels); 0 or 1: no padding.
	PadTo int
}

// Finalize orders the vocabulary as fairseq does, by descending count and
// then by symbol (byte order, which is code point order), and applies the
// options. The special symbols keep their ids.
func (d *Dictionary) Finalize(opt FinalizeOptions) {
	order := make([]int, 0, len(d.symbols)-numSpecial)
	for i := numSpecial; i < len(d.symbols); i++ {
		order = append(order, i)
	}
	slices.SortFunc(order, func(a, b int) int {
		if d.counts[a] != d.counts[b] {
			return d.counts[b] - d.counts[a]
		}
		return strings.Compare(d.symbols[a], d.symbols[b])
	})
	nd := &Dictionary{index: map[string]int{}}
	for i := range numSpecial {
		nd.Add(d.symbols[i], d.counts[i])
	}
	for _, i := range order {
		if opt.MaxSymbols > 0 && len(nd.symbols) >= opt.MaxSymbols || d.counts[i] < opt.Threshold {
			break
		}
		nd.Add(d.symbols[i], d.counts[i])
	}
	for k := 0; opt.PadTo > 1 && len(nd.symbols)%opt.PadTo != 0; k++ {
		nd.Add(fmt.Sprintf("madeupword%04d", k), 0)
	}
	*d = *nd
}

// Len returns the number of symbols, special symbols included.
func (d *Dictionary) Len() int { return len(d.symbols) }

// Symbol returns the symbol with id i.
func (d *Dictionary) Symbol(i int) string { return d.symbols[i] }

// Count returns how often the symbol with id i was counted.
func (d *Dictionary) Count(i int) int { return d.counts[i] }

// Index returns the id of sym, or UNKIndex for a symbol not in d.
func (d *Dictionary) Index(sym string) int {
	if i, ok := d.index[sym]; ok {
		return i
	}
	return UNKIndex
}

// Encode maps the whitespace-separated tokens of line to ids and appends
// EOSIndex, as fairseq's encode_line does when binarizing.
func (d *Dictionary) Encode(line string) []int {
	toks := strings.Fields(line)
	ids := make([]int, 0, len(toks)+1)
	for _, tok := range toks {
		ids = append(ids, d.Index(tok))
	}
	return append(ids, EOSIndex)
}

// Decode maps ids back to a line of tokens: it stops at the first
// EOSIndex, skips BOSIndex and PADIndex, and writes ids outside d as UNK.
func (d *Dictionary) Decode(ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		if id == EOSIndex {
			break
		}
		if id == BOSIndex || id == PADIndex {
			continue
		}
		sym := UNK
		if id >= 0 && id < len(d.symbols) {
			sym = d.symbols[id]
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(sym)
	}
	return b.String()
}

// WriteTo writes d in fairseq's dict.txt format: "symbol count" per line,
// the special symbols left out.
func (d *Dictionary) WriteTo(w io.Writer) (int64, error) {
	bw := bufio.NewWriter(w)
	var total int64
	for i := numSpecial; i < len(d.symbols); i++ {
		n, _ := fmt.Fprintf(bw, "%s %d\n", d.symbols[i], d.counts[i])
		total += int64(n)
	}
	return total, bw.Flush()
}

// Save writes d to path in dict.txt format.
func (d *Dictionary) Save(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("dictionary: %w", err)
	}
	if _, err := d.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("dictionary %s: %w", path, err)
	}
	return f.Close()
}

// LoadDictionary reads a dict.txt file.
func LoadDictionary(path string) (*Dictionary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dictionary: %w", err)
	}
	defer f.Close()
	return ReadDictionary(f, path)
}

// errDuplicate tells apart the one error fairseq lets a flag override.
var errDuplicate = errors.New("duplicate symbol (mark the line \"#fairseq:overwrite\" to allow it)")

// ReadDictionary parses fairseq's dict.txt format after the special
// symbols: each line is "symbol count", optionally followed by the flag
// "#fairseq:overwrite" that lets a line replace an earlier symbol.
func ReadDictionary(r io.Reader, name string) (*Dictionary, error) {
	d := NewDictionary()
	br := bufio.NewReaderSize(r, 1<<16)
	for n := 1; ; n++ {
		line, err := br.ReadString('\n')
		if line != "" {
			if perr := d.addEntry(line); perr != nil {
				return nil, fmt.Errorf("dictionary %s line %d: %w", name, n, perr)
			}
		}
		if err == io.EOF {
			return d, nil
		}
		if err != nil {
			return nil, fmt.Errorf("dictionary %s: %w", name, err)
		}
	}
}

func (d *Dictionary) addEntry(line string) error {
	if !utf8.ValidString(line) {
		return ErrInvalidUTF8
	}
	line = strings.TrimRightFunc(line, unicode.IsSpace)
	sym, field, ok := cutLast(line)
	overwrite := field == "#fairseq:overwrite"
	if overwrite {
		sym, field, ok = cutLast(sym)
	}
	count, err := strconv.Atoi(field)
	if !ok || err != nil {
		return fmt.Errorf("expected \"<symbol> <count> [flags]\", found %s", QuoteLine(line))
	}
	if _, dup := d.index[sym]; dup && !overwrite {
		return fmt.Errorf("%s: %w", QuoteLine(sym), errDuplicate)
	}
	// fairseq appends an overwriting symbol under a new id and leaves the
	// old entry in place; ids must match its, so this does the same.
	d.index[sym] = len(d.symbols)
	d.symbols = append(d.symbols, sym)
	d.counts = append(d.counts, count)
	return nil
}

func cutLast(s string) (before, after string, ok bool) {
	i := strings.LastIndexByte(s, ' ')
	if i < 0 {
		return "", s, false
	}
	return s[:i], s[i+1:], true
}
