package cihelpers

import (
	"encoding/json"
	"io"
)

// Manifest describes one build: what was built from which inputs.
type Manifest struct {
	Image   string            `json:"image"`
	Commit  string            `json:"commit"`
	Branch  string            `json:"branch"`
	Inputs  map[string]string `json:"inputs"`
	Labels  []string          `json:"labels,omitempty"`
	Elapsed float64           `json:"elapsed_seconds"`
}

// WriteManifest writes m as one line of JSON.
func WriteManifest(w io.Writer, m *Manifest) error {
	return json.NewEncoder(w).Encode(m)
}
