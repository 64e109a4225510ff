package cihelpers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"testing"
	"testing/fstest"
)

var sinkString string

// inputs returns an in-memory file system with n files of size bytes
// each (a small build context), and their names.
func inputs(n, size int) (fstest.MapFS, []string) {
	fsys := fstest.MapFS{}
	var names []string
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("src/file%d.go", i)
		data := bytes.Repeat([]byte{byte('a' + i)}, size)
		fsys[name] = &fstest.MapFile{Data: data, Mode: 0o644}
		names = append(names, name)
	}
	return fsys, names
}

func TestImageTag(t *testing.T) {
	for _, c := range []struct{ branch, sha, want string }{
		{"Feature/Login#2", "0123456789abcdef", "ghcr.io/acme/api:feature-login-2-0123456789ab"},
		{"main", "abc", "ghcr.io/acme/api:main-abc"},
		{"release/v1.2", "0123456789ab", "ghcr.io/acme/api:release-v1.2-0123456789ab"},
		{"", "0123456789abcdef", "ghcr.io/acme/api:-0123456789ab"},
	} {
		if got := ImageTag("ghcr.io", "acme/api", c.branch, c.sha); got != c.want {
			t.Errorf("%q: got %q, want %q", c.branch, got, c.want)
		}
	}
	long := ImageTag("ghcr.io", "acme/api", string(bytes.Repeat([]byte{'x'}, 300)), "abc")
	if n := len(long) - len("ghcr.io/acme/api:"); n != maxTagLen {
		t.Errorf("long branch: tag of %d characters, want %d", n, maxTagLen)
	}
}

func TestHashFile(t *testing.T) {
	fsys, names := inputs(1, 5000)
	got, err := HashFile(fsys, names[0])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(bytes.Repeat([]byte{'a'}, 5000))
	if want := hex.EncodeToString(sum[:]); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestPackTar(t *testing.T) {
	fsys, names := inputs(3, 700)
	var out bytes.Buffer
	if err := PackTar(&out, fsys, names); err != nil {
		t.Fatal(err)
	}
	// 3 x (512-byte header + 700 bytes padded to 1024) + 1024 of end marker
	if want := 3*(512+1024) + 1024; out.Len() < want {
		t.Fatalf("tar of %d bytes, want at least %d", out.Len(), want)
	}
}

func BenchmarkImageTag(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sinkString = ImageTag("registry.example.com", "acme/api",
			"Feature/JIRA-1234_login", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b")
	}
}

func BenchmarkHashFile(b *testing.B) {
	fsys, names := inputs(1, 1024)
	for i := 0; i < b.N; i++ {
		s, err := HashFile(fsys, names[0])
		if err != nil {
			b.Fatal(err)
		}
		sinkString = s
	}
}

func BenchmarkPackTar(b *testing.B) {
	fsys, names := inputs(4, 1024)
	for i := 0; i < b.N; i++ {
		if err := PackTar(io.Discard, fsys, names); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteManifest(b *testing.B) {
	m := &Manifest{
		Image:  "registry.example.com/acme/api:main-9f86d081884c",
		Commit: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",
		Branch: "main",
		Inputs: map[string]string{
			"go.mod":  "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
			"main.go": "fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9",
		},
		Labels:  []string{"ci", "linux/amd64"},
		Elapsed: 12.5,
	}
	for i := 0; i < b.N; i++ {
		if err := WriteManifest(io.Discard, m); err != nil {
			b.Fatal(err)
		}
	}
}
