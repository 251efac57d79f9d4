// Package store keeps what the service's users saved (pull requests with
// their branch names, mirrors with their URLs) in a JSON file, as a Git
// hosting service keeps them in its database: read back later, by other
// requests and by background jobs.
package store

import (
	"encoding/json"
	"errors"
	"os"
	"sync"
)

// Pull is a pull request: the branches to compare.
type Pull struct {
	ID   int    `json:"id"`
	Repo string `json:"repo"`
	Base string `json:"base"`
	Head string `json:"head"`
}

// Mirror is a repository that a background job fetches from URL.
type Mirror struct {
	Repo string `json:"repo"`
	URL  string `json:"url"`
}

type data struct {
	Pulls   []Pull   `json:"pulls"`
	Mirrors []Mirror `json:"mirrors"`
}

// Store is the file.
type Store struct {
	mu   sync.Mutex
	path string
}

// Open returns the store kept in path (made when first saved).
func Open(path string) *Store { return &Store{path: path} }

func (s *Store) load() (data, error) {
	var d data
	b, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return d, err
	}
	return d, json.Unmarshal(b, &d)
}

func (s *Store) save(d data) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(s.path, b, 0o644)
}

// AddPull saves a pull request and returns its ID.
func (s *Store) AddPull(p Pull) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.load()
	if err != nil {
		return 0, err
	}
	p.ID = len(d.Pulls) + 1
	d.Pulls = append(d.Pulls, p)
	return p.ID, s.save(d)
}

// Pull returns a saved pull request.
func (s *Store) Pull(repo string, id int) (Pull, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.load()
	if err != nil {
		return Pull{}, false, err
	}
	for _, p := range d.Pulls {
		if p.ID == id && p.Repo == repo {
			return p, true, nil
		}
	}
	return Pull{}, false, nil
}

// AddMirror saves a mirror.
func (s *Store) AddMirror(m Mirror) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.load()
	if err != nil {
		return err
	}
	d.Mirrors = append(d.Mirrors, m)
	return s.save(d)
}

// Mirrors returns the saved mirrors.
func (s *Store) Mirrors() ([]Mirror, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.load()
	return d.Mirrors, err
}
