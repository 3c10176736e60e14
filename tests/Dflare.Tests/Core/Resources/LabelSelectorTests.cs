using Dflare.Core.Resources;

namespace Dflare.Tests.Core.Resources;

public sealed class LabelSelectorTests
{
    private static readonly Dictionary<string, string> Gold = new() { ["tier"] = "gold", ["team"] = "llm", ["dflare.ai/gpu"] = "h100" };

    [Theory]
    [InlineData("tier=gold", true)]
    [InlineData("tier==gold", true)]
    [InlineData("tier=silver", false)]
    [InlineData("tier!=silver", true)]
    [InlineData("region!=eu", true)]
    [InlineData("team", true)]
    [InlineData("region", false)]
    [InlineData("!region", true)]
    [InlineData("!team", false)]
    [InlineData("tier in (silver, gold)", true)]
    [InlineData("tier notin (silver,gold)", false)]
    [InlineData("region notin (eu)", true)]
    [InlineData("tier=gold,team=llm,dflare.ai/gpu in (h100,a100)", true)]
    [InlineData("tier=gold,team=vision", false)]
    public void Matches_FollowsKubernetesSemantics(string selector, bool expected)
    {
        var (parsed, error) = LabelSelector.Parse(selector);

        Assert.Null(error);
        Assert.Equal(expected, parsed!.Matches(Gold));
    }

    [Theory]
    [InlineData("")]
    [InlineData("tier=gold,,team=llm")]
    [InlineData("bad key=x")]
    [InlineData("tier=-x")]
    [InlineData("tier in gold")]
    [InlineData("tier in (gold,-x)")]
    public void Parse_Invalid_SaysWhy(string selector)
    {
        var (parsed, error) = LabelSelector.Parse(selector);

        Assert.Null(parsed);
        Assert.False(string.IsNullOrEmpty(error));
    }
}
