using Dflare.Core.Resources;

namespace Dflare.Tests.Core.Resources;

public sealed class NameAndLabelTests
{
    [Theory]
    [InlineData("a", true)]
    [InlineData("acme-research-2", true)]
    [InlineData("0start", true)]
    [InlineData("", false)]
    [InlineData("-a", false)]
    [InlineData("a-", false)]
    [InlineData("A", false)]
    [InlineData("a_b", false)]
    [InlineData("a.b", false)]
    public void IsDnsLabel_FollowsRfc1123(string name, bool valid) => Assert.Equal(valid, Names.IsDnsLabel(name));

    [Fact]
    public void IsDnsLabel_RefusesPast63Characters()
    {
        Assert.True(Names.IsDnsLabel(new string('a', 63)));
        Assert.False(Names.IsDnsLabel(new string('a', 64)));
    }

    [Theory]
    [InlineData("team", true)]
    [InlineData("dflare.ai/gpu-model", true)]
    [InlineData("A_b.c", true)]
    [InlineData("/name", false)]
    [InlineData("prefix/", false)]
    [InlineData("Bad.Prefix/name", false)]
    [InlineData("a b", false)]
    [InlineData("", false)]
    public void LabelKey_FollowsKubernetesRules(string key, bool valid) => Assert.Equal(valid, Labels.IsValidKey(key));

    [Theory]
    [InlineData("", true)]
    [InlineData("H100-SXM5_80GB.v2", true)]
    [InlineData("-x", false)]
    [InlineData("x/y", false)]
    public void LabelValue_FollowsKubernetesRules(string value, bool valid) => Assert.Equal(valid, Labels.IsValidValue(value));

    [Fact]
    public void Labels_PastTheCount_AreRefusedAsOneError()
    {
        var validation = new Validation();
        var labels = Enumerable.Range(0, Labels.MaxCount + 1).ToDictionary(i => $"k{i}", _ => "v");

        Labels.Validate(validation, "metadata.labels", labels);

        var error = Assert.Single(validation.Errors);
        Assert.Equal(FieldErrorCodes.TooMany, error.Code);
    }

    [Fact]
    public void LabelsJson_RoundTripsInKeyOrder()
    {
        var json = Envelope.LabelsToJson(new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" });

        Assert.Equal("""{"a":"1","b":"2"}""", json);
        Assert.Equal("1", Envelope.LabelsFromJson(json)["a"]);
    }

    [Fact]
    public void Timestamp_KeepsWholeMicroseconds()
    {
        var instant = new DateTimeOffset(2026, 12, 3, 1, 2, 3, TimeSpan.FromHours(2)).AddTicks(1234567);

        var stored = Envelope.Timestamp(instant);

        Assert.Equal(TimeSpan.Zero, stored.Offset);
        Assert.Equal(instant.UtcTicks - 7, stored.UtcTicks);
    }
}
