package graph

import "database/sql"

// Resolver holds what the resolvers need: the user directory and the
// folder of notes.
type Resolver struct {
	DB       *sql.DB
	NotesDir string
}
