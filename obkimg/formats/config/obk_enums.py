"""OpenBeken's enumerations as stored in its config: pin roles (``ioRole_e``), channel types
(``channelType_e``) and flag bits (``OBK_FLAG_*``), with lookups by number and by name.

Numbers are what ``mainConfig_t`` stores; names follow OpenBeken's ``src/new_pins.h`` (roles 79..88 and
flags 40..51 follow the names of the OpenBeken flasher's GUI, ``OBKRoles.cs``, where the indexed header
ends). A data module without construct, shared by :mod:`obkimg.formats.config.obk_config` and the Tuya pin table.
"""

from __future__ import annotations

from ...errors import BuildError

__all__ = [
    "ROLE_NAMES",
    "CHANNEL_TYPE_NAMES",
    "FLAG_NAMES",
    "role_name",
    "role_number",
    "channel_type_name",
    "channel_type_number",
    "flag_number",
]

#: the format these enums belong to, named in errors
FMT = "obk-config"


# fmt: off
#: ``ioRole_e``: index = stored role number. 0..78 from new_pins.h, 79..88 from the GUI's OBKRoles.cs.
ROLE_NAMES: tuple[str, ...] = tuple("IOR_" + n for n in (
    "None", "Relay", "Relay_n", "Button", "Button_n", "LED", "LED_n", "PWM", "LED_WIFI", "LED_WIFI_n",
    "Button_ToggleAll", "Button_ToggleAll_n", "DigitalInput", "DigitalInput_n", "ToggleChannelOnToggle",
    "DigitalInput_NoPup", "DigitalInput_NoPup_n", "BL0937_SEL", "BL0937_CF", "BL0937_CF1", "ADC",
    "SM2135_DAT", "SM2135_CLK", "BP5758D_DAT", "BP5758D_CLK", "BP1658CJ_DAT", "BP1658CJ_CLK", "PWM_n",
    "IRRecv", "IRSend", "Button_NextColor", "Button_NextColor_n", "Button_NextDimmer",
    "Button_NextDimmer_n", "AlwaysHigh", "AlwaysLow", "UCS1912_DIN", "SM16703P_DIN",
    "Button_NextTemperature", "Button_NextTemperature_n", "Button_ScriptOnly", "Button_ScriptOnly_n",
    "DHT11", "DHT12", "DHT21", "DHT22", "CHT83XX_DAT", "CHT83XX_CLK", "SHT3X_DAT", "SHT3X_CLK",
    "SOFT_SDA", "SOFT_SCL", "SM2235_DAT", "SM2235_CLK", "BridgeForward", "BridgeReverse",
    "SmartButtonForLEDs", "SmartButtonForLEDs_n", "DoorSensorWithDeepSleep",
    "DoorSensorWithDeepSleep_NoPup", "BAT_ADC", "BAT_Relay", "TM1637_DIO", "TM1637_CLK", "BL0937_SEL_n",
    "DoorSensorWithDeepSleep_pd", "SGP_CLK", "SGP_DAT", "ADC_Button", "GN6932_CLK", "GN6932_DAT",
    "GN6932_STB", "TM1638_CLK", "TM1638_DAT", "TM1638_STB", "BAT_Relay_n", "KP18058_CLK", "KP18058_DAT",
    "DS1820_IO", "PWM_ScriptOnly", "PWM_ScriptOnly_n", "Counter_f", "Counter_r", "IRRecv_nPup",
    "StripState", "StripState_n", "HLW8112_SCSN", "RCRecv", "RCRecv_nPup",
))

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


def role_number(value: str | int) -> int:
    """``"Relay"``, ``"IOR_Relay"`` or ``"1"`` -> 1."""
    n = _lookup(value, ROLE_NAMES, "IOR_", "pin role")
    if not 0 <= n <= 255:
        raise BuildError(f"pin role {n} out of range 0..255", fmt=FMT)
    return n


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
