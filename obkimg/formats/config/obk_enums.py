"""OpenBeken's enumerations as stored in its config: pin roles (``ioRole_e``, :class:`PinRole`), channel
types (``channelType_e``) and flag bits (``OBK_FLAG_*``), with lookups by number and by name; and the
platform table (:data:`CHIPS`: layout group, CRC char signedness and storage of each chip, spec B3).

Numbers are what ``mainConfig_t`` stores; names follow OpenBeken's ``src/new_pins.h`` (roles 79..88 and
flags 40..51 follow the names of the OpenBeken flasher's GUI, ``OBKRoles.cs``, where the indexed header
ends). A data module without construct, shared by :mod:`obkimg.formats.config.obk_config`, the config
search (:mod:`obkimg.obk_locate`) and the Tuya pin table.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, Literal, TypeAlias

from ..._record import dataclass
from ...errors import BuildError, NotFoundError

__all__ = [
    "PinRole",
    "Role",
    "role_of",
    "ROLE_NAMES",
    "CHANNEL_TYPE_NAMES",
    "FLAG_NAMES",
    "role_name",
    "role_number",
    "channel_type_name",
    "channel_type_number",
    "flag_number",
    "CrcVariant",
    "Mechanism",
    "ChipInfo",
    "CHIPS",
    "RAW_CANDIDATES",
    "EF_KEYS",
    "chip_info",
]

#: the format these enums belong to, named in errors
FMT = "obk-config"


class PinRole(IntEnum):
    """``ioRole_e``: the role of one GPIO, as ``mainConfig_t.pins.roles[]`` stores it (one byte).

    0..78 from new_pins.h, 79..88 from the GUI's OBKRoles.cs. Member names are OpenBeken's own
    (``IOR_Relay``); a stored number beyond them stays a plain ``int`` (see :func:`role_of`).
    """

    IOR_None = 0
    IOR_Relay = 1
    IOR_Relay_n = 2
    IOR_Button = 3
    IOR_Button_n = 4
    IOR_LED = 5
    IOR_LED_n = 6
    IOR_PWM = 7
    IOR_LED_WIFI = 8
    IOR_LED_WIFI_n = 9
    IOR_Button_ToggleAll = 10
    IOR_Button_ToggleAll_n = 11
    IOR_DigitalInput = 12
    IOR_DigitalInput_n = 13
    IOR_ToggleChannelOnToggle = 14
    IOR_DigitalInput_NoPup = 15
    IOR_DigitalInput_NoPup_n = 16
    IOR_BL0937_SEL = 17
    IOR_BL0937_CF = 18
    IOR_BL0937_CF1 = 19
    IOR_ADC = 20
    IOR_SM2135_DAT = 21
    IOR_SM2135_CLK = 22
    IOR_BP5758D_DAT = 23
    IOR_BP5758D_CLK = 24
    IOR_BP1658CJ_DAT = 25
    IOR_BP1658CJ_CLK = 26
    IOR_PWM_n = 27
    IOR_IRRecv = 28
    IOR_IRSend = 29
    IOR_Button_NextColor = 30
    IOR_Button_NextColor_n = 31
    IOR_Button_NextDimmer = 32
    IOR_Button_NextDimmer_n = 33
    IOR_AlwaysHigh = 34
    IOR_AlwaysLow = 35
    IOR_UCS1912_DIN = 36
    IOR_SM16703P_DIN = 37
    IOR_Button_NextTemperature = 38
    IOR_Button_NextTemperature_n = 39
    IOR_Button_ScriptOnly = 40
    IOR_Button_ScriptOnly_n = 41
    IOR_DHT11 = 42
    IOR_DHT12 = 43
    IOR_DHT21 = 44
    IOR_DHT22 = 45
    IOR_CHT83XX_DAT = 46
    IOR_CHT83XX_CLK = 47
    IOR_SHT3X_DAT = 48
    IOR_SHT3X_CLK = 49
    IOR_SOFT_SDA = 50
    IOR_SOFT_SCL = 51
    IOR_SM2235_DAT = 52
    IOR_SM2235_CLK = 53
    IOR_BridgeForward = 54
    IOR_BridgeReverse = 55
    IOR_SmartButtonForLEDs = 56
    IOR_SmartButtonForLEDs_n = 57
    IOR_DoorSensorWithDeepSleep = 58
    IOR_DoorSensorWithDeepSleep_NoPup = 59
    IOR_BAT_ADC = 60
    IOR_BAT_Relay = 61
    IOR_TM1637_DIO = 62
    IOR_TM1637_CLK = 63
    IOR_BL0937_SEL_n = 64
    IOR_DoorSensorWithDeepSleep_pd = 65
    IOR_SGP_CLK = 66
    IOR_SGP_DAT = 67
    IOR_ADC_Button = 68
    IOR_GN6932_CLK = 69
    IOR_GN6932_DAT = 70
    IOR_GN6932_STB = 71
    IOR_TM1638_CLK = 72
    IOR_TM1638_DAT = 73
    IOR_TM1638_STB = 74
    IOR_BAT_Relay_n = 75
    IOR_KP18058_CLK = 76
    IOR_KP18058_DAT = 77
    IOR_DS1820_IO = 78
    IOR_PWM_ScriptOnly = 79
    IOR_PWM_ScriptOnly_n = 80
    IOR_Counter_f = 81
    IOR_Counter_r = 82
    IOR_IRRecv_nPup = 83
    IOR_StripState = 84
    IOR_StripState_n = 85
    IOR_HLW8112_SCSN = 86
    IOR_RCRecv = 87
    IOR_RCRecv_nPup = 88


#: role names by number (``ROLE_NAMES[1] == "IOR_Relay"``)
ROLE_NAMES: tuple[str, ...] = tuple(r.name for r in PinRole)

#: a stored pin role: a :class:`PinRole`, or the plain number when OpenBeken's list does not name it
Role: TypeAlias = PinRole | int

# fmt: off
#: ``channelType_e`` (new_pins.h order)
CHANNEL_TYPE_NAMES: tuple[str, ...] = tuple("ChType_" + n for n in (
    "Default", "Error", "Temperature", "Humidity", "Humidity_div10", "Temperature_div10", "Toggle",
    "Dimmer", "LowMidHigh", "TextField", "ReadOnly", "OffLowMidHigh", "OffLowestLowMidHighHighest",
    "LowestLowMidHighHighest", "Dimmer256", "Dimmer1000", "Frequency_div100", "Voltage_div10", "Power",
    "Current_div100", "ActivePower", "PowerFactor_div1000", "ReactivePower", "EnergyTotal_kWh_div1000",
    "EnergyExport_kWh_div1000", "EnergyToday_kWh_div1000", "Current_div1000", "EnergyTotal_kWh_div100",
    "OpenClosed", "OpenClosed_Inv", "BatteryLevelPercent", "OffDimBright", "LowMidHighHighest",
    "OffLowMidHighHighest", "Custom",
))

#: ``OBK_FLAG_*`` bit numbers (0..39 new_pins.h; 40..51 named after the GUI's descriptions)
FLAG_NAMES: dict[int, str] = dict(enumerate((
    "MQTT_BROADCASTLEDPARAMSTOGETHER", "MQTT_BROADCASTLEDFINALCOLOR", "MQTT_BROADCASTSELFSTATEPERMINUTE",
    "LED_RAWCHANNELSMODE", "LED_FORCESHOWRGBCWCONTROLLER", "CMD_ENABLETCPRAWPUTTYSERVER",
    "BTN_INSTANTTOUCH", "MQTT_ALWAYSSETRETAIN", "LED_ALTERNATE_CW_MODE", "SM2135_SEPARATE_MODES",
    "MQTT_BROADCASTSELFSTATEONCONNECT", "SLOW_PWM", "LED_REMEMBERLASTSTATE", "HTTP_PINMONITOR",
    "IR_PUBLISH_RECEIVED", "IR_ALLOW_UNKNOWN", "LED_BROADCAST_FULL_RGBCW", "LED_AUTOENABLE_ON_WWW_ACTION",
    "LED_SMOOTH_TRANSITIONS", "TUYAMCU_ALWAYSPUBLISHCHANNELS", "LED_FORCE_MODE_RGB",
    "MQTT_RETAIN_POWER_CHANNELS", "IR_PUBLISH_RECEIVED_IN_JSON", "LED_AUTOENABLE_ON_ANY_ACTION",
    "LED_EMULATE_COOL_WITH_RGB", "POWER_ALLOW_NEGATIVE", "USE_SECONDARY_UART", "AUTOMAIC_HASS_DISCOVERY",
    "LED_SETTING_WHITE_RGB_ENABLES_CW", "USE_SHORT_DEVICE_NAME_AS_HOSTNAME", "DO_TASMOTA_TELE_PUBLISHES",
    "CMD_ACCEPT_UART_COMMANDS", "LED_USE_OLD_LINEAR_MODE", "PUBLISH_MULTIPLIED_VALUES",
    "MQTT_HASS_ADD_RELAYS_AS_LIGHTS", "NOT_PUBLISH_AVAILABILITY_SENSOR", "DRV_DISABLE_AUTOSTART",
    "WIFI_FAST_CONNECT", "POWER_FORCE_ZERO_IF_RELAYS_OPEN", "MQTT_PUBLISH_ALL_CHANNELS",
    "MQTT_ENERGY_IN_KWH", "BTN_IGNORE_ALL", "DOORSENSOR_INVERT_STATE", "TUYAMCU_USE_QUEUE",
    "HTTP_NO_AUTH_IN_SAFE_MODE", "DISCOVERY_DONT_MERGE_LIGHTS", "TUYAMCU_STORE_RAW_DATA",
    "TUYAMCU_STORE_ALL_DATA", "POWER_INVERT_AC", "HTTP_NO_ONOFF_WORDS", "MQTT_NEVER_ADD_GET_SUFFIX",
    "WIFI_ENHANCED_FAST_CONNECT",
)))
# fmt: on


def role_of(number: int) -> Role:
    """The stored role ``number`` as a :class:`PinRole` when OpenBeken names it, else the number."""
    return PinRole(number) if 0 <= number < len(ROLE_NAMES) else number


def role_name(role: int) -> str:
    """``1`` -> ``"IOR_Relay"``; an unknown number -> ``"IOR_<n>"``."""
    return ROLE_NAMES[role] if 0 <= role < len(ROLE_NAMES) else f"IOR_{role}"


def channel_type_name(t: int) -> str:
    """``7`` -> ``"ChType_Dimmer"``; an unknown number -> ``"ChType_<n>"``."""
    return CHANNEL_TYPE_NAMES[t] if 0 <= t < len(CHANNEL_TYPE_NAMES) else f"ChType_{t}"


def _lookup(value: str | int, names: tuple[str, ...] | list[str], prefix: str, what: str) -> int:
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.isascii() and text.lstrip("+-").isdigit():  # ASCII digits only: int() also reads "٣"
        return int(text, 10)
    if text[:2].lower() == "0x" and text.isascii():
        try:
            return int(text, 16)
        except ValueError:
            pass
    want = text.lower()
    for i, n in enumerate(names):
        if want in (n.lower(), n[len(prefix) :].lower()):
            return i
    raise BuildError(f"unknown {what} {value!r}", fmt=FMT, path=what.replace(" ", "_"))


def role_number(value: str | int) -> Role:
    """``"Relay"``, ``"IOR_Relay"`` or ``"1"`` -> ``PinRole.IOR_Relay`` (1); a number OpenBeken does not
    name (0..255) stays an ``int``."""
    n = _lookup(value, ROLE_NAMES, "IOR_", "pin role")
    if not 0 <= n <= 255:
        raise BuildError(f"pin role {n} out of range 0..255", fmt=FMT)
    return role_of(n)


def channel_type_number(value: str | int) -> int:
    """``"Dimmer"``, ``"ChType_Dimmer"`` or ``"7"`` -> 7; BuildError for an unknown name or a number out
    of 0..255."""
    n = _lookup(value, CHANNEL_TYPE_NAMES, "ChType_", "channel type")
    if not 0 <= n <= 255:
        raise BuildError(f"channel type {n} out of range 0..255", fmt=FMT)
    return n


def flag_number(value: str | int) -> int:
    """``"LED_ALTERNATE_CW_MODE"``, ``"OBK_FLAG_..."`` or ``"8"`` -> the flag's bit number (0..63)."""
    names = [FLAG_NAMES.get(i, f"FLAG_{i}") for i in range(64)]
    n = _lookup(value, ["OBK_FLAG_" + x for x in names], "OBK_FLAG_", "flag")
    if not 0 <= n < 64:
        raise BuildError(f"flag bit {n} out of range 0..63", fmt=FMT)
    return n


# --------------------------------------------------------------------------------------------------
# platforms: where and how OBK stores its config (spec B3), and which schema variant decodes it

#: Tiny-CRC8 ``char`` signedness of a platform's compiler (spec B2)
CrcVariant = Literal["signed", "unsigned"]
#: how a platform stores the struct: a raw flash sector, or an EasyFlash v4 ENV entry
Mechanism = Literal["raw", "easyflash"]


@dataclass(frozen=True, slots=True)
class ChipInfo:
    """How and where OBK stores its config on one platform (spec B3), and its pin layout group."""

    mechanism: Mechanism
    variant: CrcVariant
    pins: int = 32
    offset: int | None = None  # raw
    key: str | None = None  # easyflash
    area: tuple[int, int] | None = None  # easyflash (offset, size) when not from a partition table
    bfpt: tuple[int, ...] = ()  # easyflash: where the BFPT copies are

    def to_dict(self) -> dict[str, Any]:
        """The storage facts as JSON-ready data: mechanism, ``crc_variant``, pins, offset, key and area (a
        list); ``bfpt`` is left out."""
        return {
            "mechanism": self.mechanism,
            "crc_variant": self.variant,
            "pins": self.pins,
            "offset": self.offset,
            "key": self.key,
            "area": list(self.area) if self.area else None,
        }


# fmt: off
_BK_T = ChipInfo("raw", "signed", offset=0x1E1000)
_BK_N = ChipInfo("raw", "signed", offset=0x1D1000)
CHIPS: dict[str, ChipInfo] = {
    "BK7231T": _BK_T, "BK7231U": _BK_T, "BK7238": _BK_T,
    "BK7252": ChipInfo("raw", "signed", 48, offset=0x1E1000),
    "BK7252N": ChipInfo("raw", "signed", 48, offset=0x1E1000),
    "BK7231N": _BK_N, "BK7231M": _BK_N,
    "BL602": ChipInfo("easyflash", "unsigned", key="mY0bcFg", bfpt=(0xE000, 0xF000)),
    "BL616": ChipInfo("easyflash", "unsigned", 48, key="mY0bcFg", bfpt=(0xE000, 0xF000)),
    "BL702": ChipInfo("easyflash", "unsigned", key="mY0bcFg", bfpt=(0x1000, 0x2000)),
    "W600": ChipInfo("raw", "unsigned", offset=0xF0000),
    "W800": ChipInfo("raw", "unsigned", 48, offset=0x1F0303),
    "LN882H": ChipInfo("raw", "unsigned", offset=0x1FF000),
    "LN8825": ChipInfo("raw", "unsigned", offset=0x1FF000),
    "GD32VW553": ChipInfo("raw", "signed", 48, offset=0x3F1000),
    "RTL8710B": ChipInfo("easyflash", "signed", key="ObkCfg", area=(0x195000, 0x8000)),
    "RTL87X0C": ChipInfo("easyflash", "signed", key="ObkCfg", area=(0x1F0000, 0x10000)),
    "RTL8720D": ChipInfo("easyflash", "unsigned", 64, key="ObkCfg", area=(0x1B0000, 0x40000)),
    "XR809": ChipInfo("easyflash", "unsigned", key="ObkCfg", area=(0x1E0000, 0x10000)),
    "XR806": ChipInfo("easyflash", "unsigned", key="ObkCfg", area=(0x1F0000, 0x10000)),
    "XR872": ChipInfo("easyflash", "unsigned", 48, key="ObkCfg", area=(0xEF000, 0x8000)),
    "RDA5981": ChipInfo("easyflash", "unsigned", key="ObkCfg", area=(0xF4000, 0xA000)),
    "ECR6600": ChipInfo("easyflash", "signed", key="ObkCfg", area=(0x1B9000, 0x1C000)),
    "TR6260": ChipInfo("easyflash", "signed", key="ObkCfg", area=(0xEC000, 0x12000)),
}
#: raw candidates tried when the chip is unknown (B6 step 2): offset -> chips it belongs to
RAW_CANDIDATES = ((0x1D1000, "BK7231N"), (0x1E1000, "BK7231T"), (0xF0000, "W600"), (0x1F0303, "W800"),
                  (0x1FF000, "LN882H"))
#: the EasyFlash keys OBK stores its config under (BL602/BL616/BL702; every other EasyFlash platform)
EF_KEYS = ("mY0bcFg", "ObkCfg")
# fmt: on


def chip_info(chip: str) -> ChipInfo:
    """The storage facts of ``chip`` (case-insensitive); :class:`NotFoundError` when unknown."""
    info = CHIPS.get(chip.upper())
    if info is None:
        raise NotFoundError(
            f"no OpenBeken config location known for chip {chip!r} (known: {', '.join(sorted(CHIPS))})",
            fmt=FMT,
        )
    return info
