package qti_test

import (
	"fmt"

	"kuzet.kz/kuzet/server/qti"
)

func ExampleItem_Score() {
	it, err := qti.ParseItem([]byte(`<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="corr-1" title="Меры" label="anti-corruption" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="identifier">
    <mapping defaultValue="0" lowerBound="0">
      <mapEntry mapKey="A" mappedValue="0.5"/>
      <mapEntry mapKey="B" mappedValue="0.25"/>
      <mapEntry mapKey="C" mappedValue="-1"/>
    </mapping>
  </responseDeclaration>
  <itemBody>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="true" maxChoices="0">
      <prompt>Выберите меры противодействия коррупции.</prompt>
      <simpleChoice identifier="A">Антикоррупционный мониторинг</simpleChoice>
      <simpleChoice identifier="B">Анализ коррупционных рисков</simpleChoice>
      <simpleChoice identifier="C">Приватизация</simpleChoice>
      <simpleChoice identifier="N" fixed="true">Ничего из перечисленного</simpleChoice>
    </choiceInteraction>
  </itemBody>
  <responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/map_response"/>
</assessmentItem>`), "")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range []qti.Response{{"A", "B"}, {"A", "C"}, {}} {
		s, err := it.Score(r)
		fmt.Println(r, s, err)
	}
	fmt.Println(it.Categories, it.Presentation(42)[0][3])
	// Output:
	// [A B] 0.75 <nil>
	// [A C] 0 <nil>
	// [] 0 <nil>
	// [anti-corruption] N
}
