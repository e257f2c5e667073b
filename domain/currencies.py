"""ISO 4217 currencies and their minor units: how many decimals an amount may have (EUR 2,
JPY 0, KWD 3) and how amounts are written (always with the currency's exponent: "0.00" EUR)."""

from __future__ import annotations

from decimal import Decimal

from domain.errors import DomainError

_EXPONENTS = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    2: "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD "
    "FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT "
    "LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO "
    "NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS "
    "SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD "
    "XCG YER ZAR ZMW ZWG ZWL",
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW",
}

#: Every active ISO 4217 currency with minor units -> its exponent (funds without minor units,
#: such as gold XAU or the testing code XTS, cannot be invoiced and are not listed).
MINOR_UNITS: dict[str, int] = {code: exp for exp, codes in _EXPONENTS.items() for code in codes.split()}


def minor_units(currency: str) -> int:
    """The exponent of ``currency``; DomainError ``unknown-currency`` for a code ISO 4217 does
    not list with minor units."""
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise DomainError(f"{currency!r} is not an ISO 4217 currency with minor units", "unknown-currency") from None


def check_amount(amount: Decimal, currency: str) -> None:
    """Refuse an amount with more decimals than ``currency`` allows ("906.005" EUR); trailing
    zeros are fine ("5.00" JPY is 5 yen)."""
    exponent = minor_units(currency)
    if not amount.is_finite() or amount != amount.quantize(Decimal(1).scaleb(-exponent)):
        allowed = "no decimals" if exponent == 0 else f"at most {exponent} decimal{'s' * (exponent > 1)}"
        raise DomainError(f"{currency} amounts have {allowed}; {amount} has more", "too-many-decimals")


def format_amount(amount: Decimal, currency: str) -> str:
    """``amount`` written with the currency's exponent: "0.00" and "50.00" EUR, "500" JPY.
    An amount with more decimals (only stored before the rule existed) is written as it is."""
    exponent = MINOR_UNITS.get(currency)
    if exponent is None:
        return str(amount)
    quantized = amount.quantize(Decimal(1).scaleb(-exponent))
    if quantized != amount:
        return str(amount)
    return str(quantized + 0) if quantized.is_zero() else str(quantized)  # "+ 0": never "-0.00"
