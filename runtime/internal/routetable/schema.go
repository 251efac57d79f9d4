package routetable

import "github.com/rasp-instrument/rasp-instrument/runtime/inventory"

// The inventory's schema is package inventory's: the table records into
// its types.
type (
	Inventory = inventory.Inventory
	Route     = inventory.Route
	Status    = inventory.Status
	Auth      = inventory.Auth
	Input     = inventory.Input
)

// Version is the schema's version.
const Version = inventory.Version

// The kinds of an input's values.
const (
	KindInteger  = inventory.KindInteger
	KindNumber   = inventory.KindNumber
	KindBoolean  = inventory.KindBoolean
	KindUUID     = inventory.KindUUID
	KindEmail    = inventory.KindEmail
	KindDate     = inventory.KindDate
	KindDateTime = inventory.KindDateTime
	KindString   = inventory.KindString
)
