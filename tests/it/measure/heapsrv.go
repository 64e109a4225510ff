// heapsrv.go - helper of tests/it/measure.sh: serves net/http/pprof on
// 127.0.0.1:PORT, holds 64 MiB of live heap (8 x 8 MiB) for HOLD, then
// drops it, runs the GC and stays up for REST with a small heap.
package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"time"
)

var keep [][]byte

func grow() {
	for i := 0; i < 8; i++ {
		b := make([]byte, 8<<20)
		for j := range b {
			b[j] = 1
		}
		keep = append(keep, b)
	}
}

func main() {
	hold, _ := time.ParseDuration(os.Args[2])
	rest, _ := time.ParseDuration(os.Args[3])
	go http.ListenAndServe("127.0.0.1:"+os.Args[1], nil)
	grow()
	time.Sleep(hold)
	keep = nil
	runtime.GC()
	time.Sleep(rest)
}
