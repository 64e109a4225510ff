// Package cihelpers holds the small helpers a CI tool needs around a
// build: naming container images, hashing build inputs, packing a build
// context and writing a build manifest. Standard library only.
package cihelpers

import "strings"

// maxTagLen is the longest tag a registry accepts (the OCI distribution
// spec's tag grammar allows 128 characters).
const maxTagLen = 128

// ImageTag builds "registry/repository:branch-shortsha" with the branch
// name reduced to the characters a tag may hold ([A-Za-z0-9_.-]); others
// become '-', and the result is cut to maxTagLen.
func ImageTag(registry, repository, branch, sha string) string {
	if len(sha) > 12 {
		sha = sha[:12]
	}
	var b strings.Builder
	b.Grow(len(registry) + len(repository) + len(branch) + len(sha) + 3)
	b.WriteString(registry)
	b.WriteByte('/')
	b.WriteString(repository)
	b.WriteByte(':')
	start := b.Len()
	for i := 0; i < len(branch); i++ {
		c := branch[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_',
			c == '.', c == '-':
			b.WriteByte(c)
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte('-')
		}
	}
	b.WriteByte('-')
	b.WriteString(sha)
	s := b.String()
	if len(s)-start > maxTagLen {
		s = s[:start+maxTagLen]
	}
	return s
}
