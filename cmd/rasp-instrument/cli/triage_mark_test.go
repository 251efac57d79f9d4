package cli

import (
	"reflect"
	"testing"
)

func TestParseFP(t *testing.T) {
	groups := make([]*eventGroup, 6)
	for i := range groups {
		groups[i] = &eventGroup{Num: i + 1}
	}
	got, err := parseFP("5, 1,2-3,3", groups)
	if err != nil {
		t.Fatal(err)
	}
	var nums []int
	for _, g := range got {
		nums = append(nums, g.Num)
	}
	if want := []int{1, 2, 3, 5}; !reflect.DeepEqual(nums, want) {
		t.Errorf("groups %v, want %v", nums, want)
	}
	if all, _ := parseFP("all", groups); len(all) != 6 {
		t.Errorf("all: %d groups", len(all))
	}
}
