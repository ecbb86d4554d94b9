namespace Berth.Oci.Tests;

public class OciErrorsTests
{
    public static TheoryData<OciErrorCode, string, int> SpecTable() => new()
    {
        { OciErrorCode.BlobUnknown, "BLOB_UNKNOWN", 404 },
        { OciErrorCode.BlobUploadInvalid, "BLOB_UPLOAD_INVALID", 400 },
        { OciErrorCode.BlobUploadUnknown, "BLOB_UPLOAD_UNKNOWN", 404 },
        { OciErrorCode.DigestInvalid, "DIGEST_INVALID", 400 },
        { OciErrorCode.ManifestBlobUnknown, "MANIFEST_BLOB_UNKNOWN", 400 },
        { OciErrorCode.ManifestInvalid, "MANIFEST_INVALID", 400 },
        { OciErrorCode.ManifestUnknown, "MANIFEST_UNKNOWN", 404 },
        { OciErrorCode.NameInvalid, "NAME_INVALID", 400 },
        { OciErrorCode.NameUnknown, "NAME_UNKNOWN", 404 },
        { OciErrorCode.SizeInvalid, "SIZE_INVALID", 400 },
        { OciErrorCode.Unauthorized, "UNAUTHORIZED", 401 },
        { OciErrorCode.Denied, "DENIED", 403 },
        { OciErrorCode.Unsupported, "UNSUPPORTED", 405 },
        { OciErrorCode.TooManyRequests, "TOOMANYREQUESTS", 429 },
        { OciErrorCode.RangeInvalid, "RANGE_INVALID", 416 },
        { OciErrorCode.PaginationNumberInvalid, "PAGINATION_NUMBER_INVALID", 400 },
        { OciErrorCode.Unavailable, "UNAVAILABLE", 503 },
        { OciErrorCode.InsufficientStorage, "INSUFFICIENT_STORAGE", 507 },
        { OciErrorCode.Unknown, "UNKNOWN", 500 },
    };

    [Theory]
    [MemberData(nameof(SpecTable))]
    public void Each_code_has_its_wire_code_and_status(OciErrorCode code, string wire, int status)
    {
        var info = code.Info();
        Assert.Equal(wire, info.Code);
        Assert.Equal(status, info.Status);
        Assert.False(string.IsNullOrWhiteSpace(info.Message));
    }

    [Fact]
    public void Every_enum_value_has_a_row_and_the_expected_table_covers_them_all()
    {
        var expected = SpecTable().Select(row => (OciErrorCode)row[0]).ToHashSet();
        foreach (var code in Enum.GetValues<OciErrorCode>())
        {
            Assert.NotNull(code.Info());
            Assert.Contains(code, expected);
        }
    }

    [Fact]
    public void Wire_codes_are_unique_and_upper_snake_case()
    {
        var codes = Enum.GetValues<OciErrorCode>().Select(c => c.Info().Code).ToList();
        Assert.Equal(codes.Count, codes.Distinct(StringComparer.Ordinal).Count());
        Assert.All(codes, c => Assert.Matches(@"\A[A-Z]+(_[A-Z]+)*\z", c));
    }

    [Fact]
    public void OciError_uses_the_table_unless_overridden()
    {
        var plain = new OciError(OciErrorCode.ManifestInvalid);
        Assert.Equal(400, plain.HttpStatus);
        Assert.Equal("MANIFEST_INVALID", plain.WireCode);
        Assert.Equal("manifest invalid", plain.WireMessage);

        var oversized = new OciError(OciErrorCode.ManifestInvalid, "too big", Status: 413);
        Assert.Equal(413, oversized.HttpStatus);
        Assert.Equal("MANIFEST_INVALID", oversized.WireCode);
        Assert.Equal("too big", oversized.WireMessage);
        Assert.Equal("MANIFEST_INVALID: too big", oversized.ToString());
    }
}
