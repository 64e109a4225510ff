// gobench_ref reads Go benchmark output the way lib/gobench.c documents it
// (golang.org/x/perf/benchfmt's rules plus memgate's documented handling of
// lines benchfmt refuses), using Go's own strconv, unicode, utf8 and
// encoding/json for the parts that are easy to get subtly wrong in C:
// number syntax and rounding, Unicode letter and space classes, JSON
// strings. test_gobench runs it at test time and compares its dump with
// the C reader's, so the golden files are checked against Go.
//
// Usage:
//
//	gobench_ref FILE          print the canonical dump of FILE
//	gobench_ref -gen-unicode  print an input that exercises the Unicode
//	                          classes of configuration keys
//
// The dump is the format of test_gobench.c's dump() without warning
// messages; an input without results prints "ERROR no benchmark results".
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The limits of lib/gobench.h that change what is read.
const (
	maxLine       = 65536
	maxValues     = 64
	maxConfigKeys = 128
	maxProcs      = 1000000
)

type kv struct{ key, value string }

type value struct {
	unit string
	v    float64
}

type result struct {
	line      int
	name, pkg string
	procs     int
	iters     int64
	values    []value
	config    []kv
}

type unitMeta struct {
	line             int
	unit, key, value string
}

type stream struct {
	pkg      *string // -json Package; nil for plain text
	config   []kv
	pending  []byte
	overlong bool
	line     int
}

type reader struct {
	results  []result
	units    []unitMeta
	umeta    map[string]int
	warnings []int
	streams  map[string]*stream
	order    []*stream
}

func (r *reader) warn(line int) { r.warnings = append(r.warnings, line) }

func isSpace(b byte) bool {
	return b == ' ' || (b >= '\t' && b <= '\r')
}

// splitField returns the leading run of non-space runes and the rest after
// the white space that follows it.
func splitField(x []byte) (field, rest []byte) {
	i := 0
	for i < len(x) {
		r, n := utf8.DecodeRune(x[i:])
		if unicode.IsSpace(r) {
			rest = x[i+n:]
			break
		}
		i += n
	}
	field = x[:i]
	for len(rest) > 0 {
		r, n := utf8.DecodeRune(rest)
		if !unicode.IsSpace(r) {
			break
		}
		rest = rest[n:]
	}
	return
}

func textOK(b []byte) bool {
	return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0
}

func keyValue(line []byte) (key, val []byte, ok bool) {
	i := 0
	for {
		if i >= len(line) {
			return nil, nil, false
		}
		r, n := utf8.DecodeRune(line[i:])
		if i == 0 && !unicode.IsLower(r) {
			return nil, nil, false
		}
		if unicode.IsSpace(r) || unicode.IsUpper(r) {
			return nil, nil, false
		}
		if i > 0 && r == ':' {
			break
		}
		i += n
	}
	key, val = line[:i], line[i+1:]
	if len(val) == 0 {
		return key, val, true
	}
	if val[0] != ' ' && val[0] != '\t' {
		return nil, nil, false
	}
	for len(val) > 0 && (val[0] == ' ' || val[0] == '\t') {
		val = val[1:]
	}
	return key, val, true
}

func isUnitLine(line []byte) ([]byte, bool) {
	f, rest := splitField(line)
	if string(f) == "Unit" {
		return rest, true
	}
	return nil, false
}

func splitProcs(name string) (string, int) {
	nd := 0
	for nd < len(name) && name[len(name)-1-nd] >= '0' && name[len(name)-1-nd] <= '9' {
		nd++
	}
	if nd == 0 || nd == len(name) || name[len(name)-1-nd] != '-' {
		return name, 0
	}
	v := 0
	for _, c := range name[len(name)-nd:] {
		v = v*10 + int(c-'0')
		if v > maxProcs {
			return name, 0
		}
	}
	return name[:len(name)-nd-1], v
}

func (r *reader) benchLine(st *stream, line []byte, lineno int) {
	name, rest := splitField(line[len("Benchmark"):])
	if len(rest) == 0 && len(name) == len(line)-len("Benchmark") {
		return
	}
	if !textOK(line) {
		r.warn(lineno)
		return
	}
	f, rest := splitField(rest)
	if len(f) == 0 {
		r.warn(lineno)
		return
	}
	iters, err := strconv.Atoi(string(f))
	if err != nil {
		r.warn(lineno)
		return
	}
	var vals []value
	for {
		f, rest = splitField(rest)
		if len(f) == 0 {
			if len(vals) > 0 {
				break
			}
			r.warn(lineno)
			return
		}
		if len(vals) == maxValues {
			r.warn(lineno)
			return
		}
		var u []byte
		u, rest = splitField(rest)
		v, err := strconv.ParseFloat(string(f), 64)
		if err != nil || len(u) == 0 {
			r.warn(lineno)
			return
		}
		vals = append(vals, value{string(u), v})
	}
	base, procs := splitProcs(string(name))
	res := result{line: lineno, name: "Benchmark" + base, procs: procs,
		iters: int64(iters), values: vals}
	for _, c := range st.config {
		res.config = append(res.config, c)
		if c.key == "pkg" {
			res.pkg = c.value
		}
	}
	if res.pkg == "" && st.pkg != nil && *st.pkg != "" {
		res.pkg = *st.pkg
		res.config = append(res.config, kv{"pkg", *st.pkg})
	}
	r.results = append(r.results, res)
}

func (r *reader) unitLine(line, rest []byte, lineno int) {
	if !textOK(line) {
		r.warn(lineno)
		return
	}
	u, rest := splitField(rest)
	if len(u) == 0 {
		r.warn(lineno)
		return
	}
	for {
		var f []byte
		f, rest = splitField(rest)
		if len(f) == 0 {
			return
		}
		eq := bytes.IndexByte(f, '=')
		if eq <= 0 {
			r.warn(lineno)
			continue
		}
		id := string(u) + " " + string(f[:eq])
		if i, ok := r.umeta[id]; ok {
			if r.units[i].value != string(f[eq+1:]) {
				r.warn(lineno)
			}
			continue
		}
		r.umeta[id] = len(r.units)
		r.units = append(r.units, unitMeta{lineno, string(u),
			string(f[:eq]), string(f[eq+1:])})
	}
}

func (r *reader) configLine(st *stream, key, val []byte, lineno int) {
	pos := -1
	for i, c := range st.config {
		if c.key == string(key) {
			pos = i
		}
	}
	if len(val) == 0 {
		if pos >= 0 {
			last := len(st.config) - 1
			st.config[pos] = st.config[last]
			st.config = st.config[:last]
		}
		return
	}
	if pos >= 0 {
		st.config[pos].value = string(val)
		return
	}
	if len(st.config) == maxConfigKeys {
		r.warn(lineno)
		return
	}
	st.config = append(st.config, kv{string(key), string(val)})
}

func (r *reader) process(st *stream, line []byte, lineno int) {
	if len(line) == 0 {
		return
	}
	if bytes.HasPrefix(line, []byte("Benchmark")) {
		r.benchLine(st, line, lineno)
		return
	}
	if line[0] == 'U' {
		if rest, ok := isUnitLine(line); ok {
			r.unitLine(line, rest, lineno)
		}
		return
	}
	if key, val, ok := keyValue(line); ok {
		if !textOK(line) {
			r.warn(lineno)
			return
		}
		r.configLine(st, key, val, lineno)
	}
}

func (r *reader) overlong(line []byte, lineno int) {
	_, isUnit := isUnitLine(line)
	_, _, isKey := keyValue(line)
	if bytes.HasPrefix(line, []byte("Benchmark")) || isUnit || isKey {
		r.warn(lineno)
	}
}

func (r *reader) complete(st *stream, line []byte, overlong bool, lineno int) {
	line = bytes.TrimSuffix(line, []byte("\r"))
	if overlong || len(line) > maxLine {
		r.overlong(line, lineno)
	} else {
		r.process(st, line, lineno)
	}
}

func (r *reader) feed(st *stream, text []byte, lineno int) {
	st.line = lineno
	for len(text) > 0 {
		nl := bytes.IndexByte(text, '\n')
		seg := text
		if nl >= 0 {
			seg = text[:nl]
		}
		if !st.overlong {
			room := maxLine + 1 - len(st.pending)
			if len(seg) > room {
				st.overlong = true
				st.pending = append(st.pending, seg[:room]...)
			} else {
				st.pending = append(st.pending, seg...)
			}
		}
		if nl < 0 {
			return
		}
		r.complete(st, st.pending, st.overlong, lineno)
		st.pending = st.pending[:0]
		st.overlong = false
		text = text[nl+1:]
	}
}

type event struct {
	Action  *string
	Package *string
	Output  *string
}

func (r *reader) jsonLine(line []byte, lineno int) bool {
	var ev event
	if json.Unmarshal(line, &ev) != nil || ev.Action == nil {
		return false
	}
	if *ev.Action != "output" || ev.Output == nil {
		return true
	}
	pkg := ""
	if ev.Package != nil {
		pkg = *ev.Package
	}
	st := r.streams[pkg]
	if st == nil {
		p := pkg
		st = &stream{pkg: &p}
		r.streams[pkg] = st
		r.order = append(r.order, st)
	}
	r.feed(st, []byte(*ev.Output), lineno)
	return true
}

func (r *reader) read(data []byte) {
	text := &stream{}
	lines := bytes.Split(data, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	for i, line := range lines {
		lineno := i + 1
		line = bytes.TrimSuffix(line, []byte("\r"))
		trimmed := bytes.TrimLeft(line, " \t")
		if len(trimmed) > 0 && trimmed[0] == '{' && r.jsonLine(line, lineno) {
			continue
		}
		if len(line) > maxLine {
			r.overlong(line[:maxLine], lineno)
			continue
		}
		r.process(text, line, lineno)
	}
	for _, st := range r.order {
		if len(st.pending) > 0 || st.overlong {
			r.complete(st, st.pending, st.overlong, st.line)
		}
	}
}

// The dump, byte for byte as test_gobench.c writes it.

func quote(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(b, "\\u%04x", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

func number(v float64) string {
	switch {
	case math.IsNaN(v):
		return `"NaN"`
	case math.IsInf(v, 1):
		return `"+Inf"`
	case math.IsInf(v, -1):
		return `"-Inf"`
	case v == math.Floor(v) && math.Abs(v) < 1e15:
		return fmt.Sprintf("%.0f", v)
	}
	for p := 1; p < 17; p++ {
		s := fmt.Sprintf("%.*g", p, v)
		if back, err := strconv.ParseFloat(s, 64); err == nil && back == v {
			return s
		}
	}
	return fmt.Sprintf("%.17g", v)
}

func (r *reader) dump() string {
	var b strings.Builder
	b.WriteString("{\"results\": [\n")
	for i, res := range r.results {
		fmt.Fprintf(&b, "{\"line\": %d, \"name\": ", res.line)
		quote(&b, res.name)
		fmt.Fprintf(&b, ", \"procs\": %d, \"iterations\": %d, \"package\": ",
			res.procs, res.iters)
		quote(&b, res.pkg)
		b.WriteString(", \"values\": [")
		for j, v := range res.values {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('[')
			quote(&b, v.unit)
			b.WriteString(", " + number(v.v) + "]")
		}
		b.WriteString("], \"config\": [")
		for j, c := range res.config {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('[')
			quote(&b, c.key)
			b.WriteString(", ")
			quote(&b, c.value)
			b.WriteByte(']')
		}
		b.WriteString("]}")
		if i+1 < len(r.results) {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("],\n\"units\": [\n")
	for i, u := range r.units {
		fmt.Fprintf(&b, "{\"line\": %d, \"unit\": ", u.line)
		quote(&b, u.unit)
		b.WriteString(", \"key\": ")
		quote(&b, u.key)
		b.WriteString(", \"value\": ")
		quote(&b, u.value)
		b.WriteString("}")
		if i+1 < len(r.units) {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("],\n\"warnings\": [\n")
	for i, w := range r.warnings {
		fmt.Fprintf(&b, "{\"line\": %d}", w)
		if i+1 < len(r.warnings) {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("]}\n")
	return b.String()
}

// genUnicode writes configuration lines whose keys start with, or contain,
// every code point below U+20000 (and a sample above), 50 code points per
// result, deleting the keys again after each result.
func genUnicode() string {
	var b strings.Builder
	var keys []string
	flush := func() {
		b.WriteString("BenchmarkU 1 1 x\n")
		for _, k := range keys {
			b.WriteString(k + ":\n")
		}
		keys = keys[:0]
	}
	for r := rune(0x80); r <= unicode.MaxRune; r++ {
		if r >= 0x20000 && r%97 != 0 {
			continue
		}
		if r >= 0xd800 && r <= 0xdfff {
			continue
		}
		k1 := string(r) + "k"
		k2 := "k" + string(r)
		fmt.Fprintf(&b, "%s: a\n%s: b\n", k1, k2)
		keys = append(keys, k1, k2)
		if len(keys) == 100 {
			flush()
		}
	}
	flush()
	return b.String()
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gobench_ref FILE | -gen-unicode")
		os.Exit(2)
	}
	if os.Args[1] == "-gen-unicode" {
		fmt.Print(genUnicode())
		return
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	r := &reader{umeta: map[string]int{}, streams: map[string]*stream{}}
	r.read(data)
	if len(r.results) == 0 {
		fmt.Println("ERROR no benchmark results")
		return
	}
	fmt.Print(r.dump())
}
