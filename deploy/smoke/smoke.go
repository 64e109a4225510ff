// Package smoke holds two small functions whose allocations are known, for
// the collector's smoke job.
package smoke

import (
	"crypto/sha256"
	"strings"
)

// Tag builds an image tag; the builder allocates its result.
func Tag(repo, name, version string) string {
	var b strings.Builder
	b.Grow(len(repo) + len(name) + len(version) + 2)
	b.WriteString(repo)
	b.WriteByte('/')
	b.WriteString(name)
	b.WriteByte(':')
	b.WriteString(version)
	return b.String()
}

// Digest hashes a copy of data, allocating one buffer per call.
func Digest(data []byte) [32]byte {
	buf := make([]byte, len(data))
	copy(buf, data)
	return sha256.Sum256(buf)
}
