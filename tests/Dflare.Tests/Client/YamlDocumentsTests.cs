using Dflare.Client.Specs;
using YamlDotNet.Core;

namespace Dflare.Tests.Client;

/// <summary>YAML bodies become the JSON they stand for, typed by the YAML 1.2 core schema; what JSON cannot say is refused.</summary>
public sealed class YamlDocumentsTests
{
    [Fact]
    public void PlainScalars_AreTyped_AndQuotedOnes_StayText()
    {
        var json = YamlDocuments.ToJson("""
            a: "1.34"
            b: 1.34
            c: 8
            d: true
            e: ~
            f: [x, 'y', 2]
            g: { h: no }
            i: |
              two
              lines
            """)!;
        Assert.Equal("""{"a":"1.34","b":1.34,"c":8,"d":true,"e":null,"f":["x","y",2],"g":{"h":"no"},"i":"two\nlines"}""", json.ToJsonString());
    }

    [Theory]
    [InlineData("metadata: {name: c1\nspec: [")]
    [InlineData("a: 1\n---\nb: 2\n")]
    [InlineData("a: &x 1\nb: *x\n")]
    [InlineData("? [complex]\n: key\n")]
    public void WhatJsonCannotCarry_OrBrokenYaml_IsAYamlError(string yaml) => Assert.ThrowsAny<YamlException>(() => YamlDocuments.ToJson(yaml));
}
