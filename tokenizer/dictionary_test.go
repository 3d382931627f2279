package tokenizer

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func symbols(d *Dictionary) []string {
	out := make([]string, d.Len())
	for i := range out {
		out[i] = d.Symbol(i)
	}
	return out
}

func TestDictionarySpecials(t *testing.T) {
	d := NewDictionary()
	if got := symbols(d); !reflect.DeepEqual(got, []string{"<s>", "<pad>", "</s>", "<unk>"}) {
		t.Fatalf("specials %q", got)
	}
	if d.Index(BOS) != BOSIndex || d.Index(PAD) != PADIndex || d.Index(EOS) != EOSIndex || d.Index(UNK) != UNKIndex {
		t.Fatal("special ids do not match fairseq's")
	}
}

func TestDictionaryFinalize(t *testing.T) {
	build := func() *Dictionary {
		d := NewDictionary()
		d.AddLine("b a c b a b d")
		d.AddLine("e e  c\t")
		return d // b:3 a:2 c:2 e:2 d:1
	}
	tests := []struct {
		name string
		opt  FinalizeOptions
		want []string
	}{
		{"count desc then symbol asc", FinalizeOptions{}, []string{"b", "a", "c", "e", "d"}},
		{"threshold", FinalizeOptions{Threshold: 2}, []string{"b", "a", "c", "e"}},
		{"max symbols counts specials", FinalizeOptions{MaxSymbols: 6}, []string{"b", "a"}},
		{"padding counts specials", FinalizeOptions{PadTo: 4}, []string{"b", "a", "c", "e", "d", "madeupword0000", "madeupword0001", "madeupword0002"}},
		{"already a multiple", FinalizeOptions{Threshold: 2, PadTo: 4}, []string{"b", "a", "c", "e"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := build()
			d.Finalize(tt.opt)
			if got := symbols(d)[numSpecial:]; !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			if d.Index(tt.want[0]) != numSpecial || d.Count(numSpecial) != 3 {
				t.Fatal("index or count not rebuilt")
			}
		})
	}
}

func TestDictionaryEncodeDecode(t *testing.T) {
	d := NewDictionary()
	d.AddLine("the cat sat")
	d.Finalize(FinalizeOptions{})
	ids := d.Encode(" the  dog sat ")
	want := []int{d.Index("the"), UNKIndex, d.Index("sat"), EOSIndex}
	if !reflect.DeepEqual(ids, want) {
		t.Fatalf("Encode = %v, want %v", ids, want)
	}
	tests := []struct {
		ids  []int
		want string
	}{
		{ids, "the <unk> sat"},
		{[]int{BOSIndex, d.Index("cat"), PADIndex, d.Index("sat"), EOSIndex, d.Index("the")}, "cat sat"},
		{[]int{d.Index("cat"), 999, -1}, "cat <unk> <unk>"},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := d.Decode(tt.ids); got != tt.want {
			t.Errorf("Decode(%v) = %q, want %q", tt.ids, got, tt.want)
		}
	}
}

func TestDictionarySaveLoad(t *testing.T) {
	d := NewDictionary()
	d.AddLine("b@@ a a c c c")
	d.Finalize(FinalizeOptions{PadTo: 8})
	var buf bytes.Buffer
	if _, err := d.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	want := "c 3\na 2\nb@@ 1\nmadeupword0000 0\n"
	if buf.String() != want {
		t.Fatalf("dict.txt:\n%s\nwant:\n%s", buf.String(), want)
	}
	back, err := ReadDictionary(&buf, "dict.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(symbols(back), symbols(d)) || back.Count(4) != 3 {
		t.Fatalf("loaded %q", symbols(back))
	}
}

func TestReadDictionary(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // symbols after the specials
		wantErr  string
	}{
		{"symbol with spaces", "a b 3\nc 1\n", []string{"a b", "c"}, ""},
		{"trailing whitespace and CRLF", "x 2 \r\ny 1", []string{"x", "y"}, ""},
		{"overwrite keeps fairseq's ids", "x 2\ny 1\nx 5 #fairseq:overwrite\n", []string{"x", "y", "x"}, ""},
		{"no count", "x\n", nil, `dictionary dict.txt line 1: expected "<symbol> <count> [flags]", found "x"`},
		{"bad count", "x 2\ny z\n", nil, "dictionary dict.txt line 2: expected"},
		{"duplicate", "x 2\nx 3\n", nil, `dictionary dict.txt line 2: "x": duplicate symbol`},
		{"invalid UTF-8", "x 2\n\xff 3\n", nil, "dictionary dict.txt line 2: invalid UTF-8"},
		{"huge garbage line", strings.Repeat("z", 300000) + "\n", nil, `dictionary dict.txt line 1: expected "<symbol> <count> [flags]", found "zzz`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ReadDictionary(strings.NewReader(tt.in), "dict.txt")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || len(err.Error()) > 200 {
					t.Fatalf("error %.300v, want %q in under 200 bytes", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := symbols(d)[numSpecial:]; !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	d, _ := ReadDictionary(strings.NewReader("x 2\ny 1\nx 5 #fairseq:overwrite\n"), "d")
	if d.Index("x") != 6 || d.Count(6) != 5 {
		t.Errorf("overwrite: index %d count %d", d.Index("x"), d.Count(d.Index("x")))
	}
}

func TestDictionaryAddTextInvalidUTF8(t *testing.T) {
	err := NewDictionary().AddText(strings.NewReader("ok\nbad\xff\n"), "train.bpe")
	if !errors.Is(err, ErrInvalidUTF8) || !strings.Contains(err.Error(), "train.bpe line 2") {
		t.Fatalf("error %v", err)
	}
}
