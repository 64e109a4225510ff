// gobench_ref parses Go benchmark output the way a Go program usually
// does (bufio.Scanner, strings.Fields, strconv), keeping every result,
// so bench_gobench can compare memgate's C reader with it.
//
// Usage: gobench_ref FILE ROUNDS
// It prints "SECONDS RESULTS SAMPLES": the best parse time over ROUNDS
// (the file is read once, before timing) and what the last parse kept.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

type result struct {
	name   string
	pkg    string
	procs  int
	iters  int64
	units  []string
	values []float64
	config map[string]string
}

func isKey(k string) bool {
	if k == "" || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	return !strings.ContainsAny(k, " \tABCDEFGHIJKLMNOPQRSTUVWXYZ")
}

func parse(data []byte) (results []result, samples int) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 64*1024)
	config := map[string]string{}
	changed := false
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.HasPrefix(line, "Benchmark") {
			f := strings.Fields(line)
			if len(f) < 4 || len(f)%2 != 0 {
				continue
			}
			name, procs := f[0], 0
			if i := strings.LastIndexByte(name, '-'); i > 0 {
				if p, err := strconv.Atoi(name[i+1:]); err == nil {
					name, procs = name[:i], p
				}
			}
			iters, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				continue
			}
			r := result{name: name, procs: procs, iters: iters}
			ok := true
			for i := 2; i+1 < len(f); i += 2 {
				v, err := strconv.ParseFloat(f[i], 64)
				if err != nil {
					ok = false
					break
				}
				r.values = append(r.values, v)
				r.units = append(r.units, f[i+1])
			}
			if !ok {
				continue
			}
			if changed {
				// Results share the configuration until it changes.
				c := make(map[string]string, len(config))
				for k, v := range config {
					c[k] = v
				}
				config = c
				changed = false
			}
			r.config = config
			r.pkg = config["pkg"]
			results = append(results, r)
			samples += len(r.values)
			continue
		}
		if i := strings.IndexByte(line, ':'); i > 0 && isKey(line[:i]) {
			val := strings.TrimLeft(line[i+1:], " \t")
			if !changed {
				c := make(map[string]string, len(config)+1)
				for k, v := range config {
					c[k] = v
				}
				config = c
				changed = true
			}
			if val == "" {
				delete(config, line[:i])
			} else {
				config[line[:i]] = val
			}
		}
	}
	return results, samples
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gobench_ref FILE ROUNDS")
		os.Exit(2)
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	rounds, _ := strconv.Atoi(os.Args[2])
	best := time.Duration(1<<63 - 1)
	var results []result
	var samples int
	for i := 0; i < rounds; i++ {
		start := time.Now()
		results, samples = parse(data)
		if d := time.Since(start); d < best {
			best = d
		}
	}
	fmt.Printf("%.6f %d %d\n", best.Seconds(), len(results), samples)
}
