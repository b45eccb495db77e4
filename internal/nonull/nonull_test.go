package nonull

import (
	"reflect"
	"testing"
)

func TestFind(t *testing.T) {
	got, err := Find([]byte(`{"a":[1,null,{"b":null,"c":[]}],"d":{},"e":null}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a[1]", "a[2].b", "e"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Find = %v, want %v", got, want)
	}
	if got, err := Find([]byte(`{"a":[]}`)); err != nil || len(got) != 0 {
		t.Fatalf("no nulls: %v, %v", got, err)
	}
	if _, err := Find([]byte(`{"a":`)); err == nil {
		t.Fatal("broken JSON was accepted")
	}
}
