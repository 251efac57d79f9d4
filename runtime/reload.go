package rasp

import (
	"errors"

	"github.com/rasp-instrument/rasp-instrument/runtime/internal/apihooks"
)

// ReloadPolicy reads the policy file named by RASP_POLICY again and puts it
// in force, atomically: a detector sees the old policy or the new one,
// never a mix. A file that cannot be read or parsed keeps the policy in
// force, and says why in the log and in an event. A program built without
// rasp-instrument has no policy: ReloadPolicy returns an error.
func ReloadPolicy() error {
	if apihooks.Policy == nil {
		return errors.New("rasp: no policy to reload: this program was not built with rasp-instrument")
	}
	return apihooks.Policy()
}
