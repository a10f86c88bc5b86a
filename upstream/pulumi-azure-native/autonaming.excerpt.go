// github.com/pulumi/pulumi-azure-native provider/pkg/provider/provider.go
// commit 006a62afe453b416e5d5c98d2d91c4c7281f52f9, read 2026-12-07 (excerpt of getDefaultName)

	urnParts := strings.Split(urn, "::")
	name := urnParts[len(urnParts)-1]
	switch strategy {
	case resources.AutoNameRandom:
		// Resource name is URN name + random suffix.
		random, err := resource.NewUniqueName(randomSeed, name, 8, 0, nil)
		contract.AssertNoError(err)
		return result(random), true, true
	case resources.AutoNameUuid:
		// Resource name is a random UUID. We need to do a similar trick as NewUniqueName so that this is
		// deterministic by randomSeed. We simply ask NewUniqueName for a 32 byte random hex name.
		hexID, err := resource.NewUniqueName(randomSeed, "", 32, 0, nil)
		contract.AssertNoError(err)
		return result(uuid.MustParse(hexID).String()), true, true
	case resources.AutoNameCopy:
		// Resource name is just a copy of the URN name.
		return result(name), false, true
	default:
		panic(fmt.Sprintf("unknown auto-naming strategy %q", strategy))
	}

// github.com/pulumi/pulumi-azure-native provider/pkg/provider/autonaming_test.go
// commit 4ed8d3b09e709a17dccc3b4d741fc6d62b818ac6, read 2026-12-07 (excerpt of TestGetDefaultName)

	t.Run("returns random name for random strategy without auto-naming options", func(t *testing.T) {
		result, randomlyNamed, ok := p.getDefaultName(
			testUrn,
			testSeed,
			nil,
			resources.AutoNameRandom,
			"name",
			resource.PropertyMap{},
		)

		assert.True(t, ok)
		assert.True(t, randomlyNamed)
		assert.Equal(t, "test614742c2", result.StringValue())
	})
