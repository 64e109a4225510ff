package smoke

import "testing"

var sink interface{}

func BenchmarkTag(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink = Tag("registry.example", "memgate", "v0.1.0")
	}
}

func BenchmarkDigest(b *testing.B) {
	data := make([]byte, 4096)
	for i := 0; i < b.N; i++ {
		sink = Digest(data)
	}
}
