/* Read an .ics file with libical 3 and print, as JSON, every VEVENT's start and end (a date, or
 * the UTC instant libical computes from the file's own VTIMEZONE) and every X-LIC-ERROR it adds.
 * Built by the tests: cc libical_read.c $(pkg-config --cflags --libs libical) */
#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_string(const char *text) {
    putchar('"');
    for (const char *c = text ? text : ""; *c; c++) {
        if (*c == '"' || *c == '\\') putchar('\\');
        if ((unsigned char)*c >= 0x20) putchar(*c);
    }
    putchar('"');
}

static void print_time(struct icaltimetype t) {
    if (icaltime_is_null_time(t)) { printf("null"); return; }
    if (t.is_date) { printf("\"%04d-%02d-%02d\"", t.year, t.month, t.day); return; }
    if (t.zone == NULL && !icaltime_is_utc(t)) { printf("\"floating %04d%02d%02dT%02d%02d%02d\"", t.year, t.month, t.day, t.hour, t.minute, t.second); return; }
    struct icaltimetype u = icaltime_convert_to_zone(t, icaltimezone_get_utc_timezone());
    printf("\"%04d-%02d-%02dT%02d:%02d:%02dZ\"", u.year, u.month, u.day, u.hour, u.minute, u.second);
}

static int print_errors(icalcomponent *component, int count) {
    for (icalproperty *p = icalcomponent_get_first_property(component, ICAL_XLICERROR_PROPERTY); p;
         p = icalcomponent_get_next_property(component, ICAL_XLICERROR_PROPERTY)) {
        if (count++) putchar(',');
        print_string(icalproperty_get_xlicerror(p));
    }
    for (icalcomponent *c = icalcomponent_get_first_component(component, ICAL_ANY_COMPONENT); c;
         c = icalcomponent_get_next_component(component, ICAL_ANY_COMPONENT))
        count = print_errors(c, count);
    return count;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: libical_read FILE\n"); return 2; }
    FILE *file = fopen(argv[1], "rb");
    if (!file) { perror(argv[1]); return 2; }
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    rewind(file);
    char *text = calloc(size + 1, 1);
    if (fread(text, 1, size, file) != (size_t)size) { perror(argv[1]); return 2; }
    fclose(file);
    icalcomponent *root = icalparser_parse_string(text);
    if (!root) { printf("{\"errors\":[\"libical could not parse the file\"],\"events\":{}}\n"); return 0; }
    printf("{\"errors\":[");
    print_errors(root, 0);
    printf("],\"events\":{");
    int count = 0;
    for (icalcomponent *e = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT); e;
         e = icalcomponent_get_next_component(root, ICAL_VEVENT_COMPONENT)) {
        if (count++) putchar(',');
        print_string(icalcomponent_get_uid(e));
        printf(":[");
        print_time(icalcomponent_get_dtstart(e));
        putchar(',');
        print_time(icalcomponent_get_dtend(e));
        putchar(']');
    }
    printf("}}\n");
    icalcomponent_free(root);
    free(text);
    return 0;
}
